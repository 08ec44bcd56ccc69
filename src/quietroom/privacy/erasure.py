"""Erasure by crypto-shredding, crash-safe and idempotent.

Steps (each commits before the next; each can run again without harm):
1. destroy the customer's key-encryption key: from this instant nothing of theirs can be
   decrypted, in the database, the blob store or any backup of either; a reviewer mid-play
   gets 410 on the next range request;
2. remove their content in batches: blobs first (harmless to repeat), then tasks and leases,
   submissions, drafts, labels, escalations, snippets and recordings (database cascades);
3. list the exports that held their items (exports.ExportCustomer), the deletion list to send
   to whoever holds those datasets;
4. done. Every step is audited.
"""
from __future__ import annotations

from typing import Callable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from quietroom import content
from quietroom.audit.log import Actor, record
from quietroom.exports.models import ExportCustomer
from quietroom.recordings.models import CustomerKey, Recording, Snippet
from quietroom.recordings.pseudonyms import customer_pseudonym
from quietroom.review.models import Task

from .holds import blocking_holds
from .models import ErasureRequest

Step = ErasureRequest.Step
BATCH = 200  # recordings per transaction while removing content


class ErasureBlocked(Exception):
    def __init__(self, reasons):
        self.reasons = list(reasons)
        super().__init__("; ".join(self.reasons))


def _noop(step: str) -> None:
    pass


def erase_customer(controller, customer_id: str, actor: Actor, *,
                   after_step: Callable[[str], None] = _noop) -> ErasureRequest:
    """Erase one customer of `controller` (by the product's own customer id)."""
    return erase_pseudonym(controller, customer_pseudonym(controller.id, customer_id), actor, after_step=after_step)


def erase_pseudonym(controller, pseudonym: str, actor: Actor, *,
                    after_step: Callable[[str], None] = _noop) -> ErasureRequest:
    request, created = ErasureRequest.objects.get_or_create(
        controller=controller, customer_pseudonym=pseudonym, defaults={"requested_by": actor.name},
    )
    if request.step == Step.DONE:
        record(actor, "erasure.repeat", object_type="erasure", object_id=request.id, customer=pseudonym,
               purpose="erasure", details={"note": "already erased; nothing left to do"})
        return request
    holds = blocking_holds(controller, pseudonym)
    if holds:
        ErasureRequest.objects.filter(pk=request.pk).update(step=Step.BLOCKED)
        record(actor, "erasure.blocked", outcome="denied", object_type="erasure", object_id=request.id,
               customer=pseudonym, purpose="erasure", details={"reasons": holds})
        raise ErasureBlocked(holds)
    request.runs += 1
    ErasureRequest.objects.filter(pk=request.pk).update(runs=request.runs)
    record(actor, "erasure.start" if created else "erasure.resume", object_type="erasure", object_id=request.id,
           customer=pseudonym, purpose="erasure", details={"from_step": request.step})

    if request.step in (Step.REQUESTED, Step.BLOCKED):
        with transaction.atomic():
            destroyed = content.destroy_customer_key(pseudonym)
            _advance(request, Step.KEY_DESTROYED)
            record(actor, "key.customer.destroy", object_type="customer_key", object_id=pseudonym,
                   customer=pseudonym, purpose="erasure", details={"newly_destroyed": destroyed})
        after_step(Step.KEY_DESTROYED)

    if request.step == Step.KEY_DESTROYED:
        removed = _remove_content(pseudonym, dict(request.removed), request, after_step)
        with transaction.atomic():
            request.removed = removed
            _advance(request, Step.CONTENT_REMOVED, "removed")
            record(actor, "erasure.content_removed", object_type="erasure", object_id=request.id,
                   customer=pseudonym, purpose="erasure", details=removed)
        after_step(Step.CONTENT_REMOVED)

    if request.step == Step.CONTENT_REMOVED:
        with transaction.atomic():
            request.exports = deletion_list(pseudonym)
            _advance(request, Step.EXPORTS_LISTED, "exports")
            record(actor, "erasure.deletion_list", object_type="erasure", object_id=request.id,
                   customer=pseudonym, purpose="erasure",
                   details={"exports": [e["export_id"] for e in request.exports]})
        after_step(Step.EXPORTS_LISTED)

    if request.step == Step.EXPORTS_LISTED:
        with transaction.atomic():
            request.completed_at = timezone.now()
            _advance(request, Step.DONE, "completed_at")
            record(actor, "erasure.completed", object_type="erasure", object_id=request.id,
                   customer=pseudonym, purpose="erasure")
    return request


def _advance(request: ErasureRequest, step: str, *fields: str) -> None:
    request.step = step
    request.save(update_fields=["step", "updated_at", *fields])


def _remove_content(pseudonym: str, removed: dict, request, after_step) -> dict:
    key = CustomerKey.objects.filter(pseudonym=pseudonym).first()
    if key is None:
        return removed
    counts = {k: int(removed.get(k, 0)) for k in ("recordings", "snippets", "tasks", "blobs")}
    store = content.blob_store()
    # Tasks that name the customer directly (leases included) go first: the queue never
    # hands out a task of an erased customer, and live leases end now.
    counts["tasks"] += Task.objects.filter(Q(customer_key=key) | Q(snippet__recording__customer_key=key)).delete()[1].get("review.Task", 0)
    while True:
        ids = list(Recording.objects.filter(customer_key=key).order_by("pk").values_list("pk", flat=True)[:BATCH])
        if not ids:
            break
        snippets = Snippet.objects.filter(recording_id__in=ids)
        blob_keys = [k for k in snippets.values_list("blob_key", flat=True) if k]
        blob_keys += [k for k in Recording.objects.filter(pk__in=ids).values_list("blob_key", flat=True) if k]
        # Blobs before rows: a crash in between leaves rows that name the blobs, so the
        # next run deletes them again (deleting a missing blob is a no-op).
        for blob in blob_keys:
            store.delete(blob)
        with transaction.atomic():
            counts["snippets"] += snippets.count()
            _, per_model = Recording.objects.filter(pk__in=ids).delete()
            counts["recordings"] += per_model.get("recordings.Recording", 0)
            counts["blobs"] += len(blob_keys)
            request.removed = counts
            request.save(update_fields=["removed", "updated_at"])
        after_step("content_batch")
    return counts


def deletion_list(pseudonym: str) -> list[dict]:
    holders = ExportCustomer.objects.filter(customer_pseudonym=pseudonym).select_related("export")
    return [
        {"export_id": str(h.export_id), "format": h.export.format, "created_at": h.export.created_at.isoformat(),
         "created_by": h.export.created_by, "items": h.items}
        for h in holders.order_by("export__created_at")
    ]

