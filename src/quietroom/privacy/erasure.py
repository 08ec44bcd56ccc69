"""Erasure by crypto-shredding, crash-safe and idempotent; what a legal hold keeps stays.

Steps (each commits before the next; each can run again without harm):
1. in one transaction, with the customer's escalation cases locked: the data keys of what legal
   holds keep (confirmed holds, and hold proposals waiting for the second officer) are re-wrapped
   under one held key per held snippet (`content.hold_objects`, GDPR Art. 17(3)(e)), then the
   customer's key-encryption key is destroyed: from this instant nothing else of theirs can be
   decrypted, in the database, the blob store or any backup of either; a reviewer mid-play gets
   410 on the next range request;
2. remove their content in batches: blobs first (harmless to repeat), then tasks and leases,
   submissions, drafts, labels, escalations, snippets and recordings (database cascades), except
   the held snippets (with their recording's row and their submitted transcripts); the notes of
   cases that hold nothing are deleted;
3. list the exports that held their items (exports.ExportCustomer), the deletion list to send
   to whoever holds those datasets;
4. settle the holds: a held snippet whose holds have all ended loses its held key (unreadable at
   once), then its blob and rows. While any hold lasts the request waits in step `held` and
   reports which case holds what (`held_report`); it finishes by itself when the last hold ends
   (`on_hold_ended`, after the release or the rejection commits), and `finish_waiting` (Celery
   beat, `quietroom privacy finish-erasures`) or re-running the erasure finishes one that a crash
   or a lost after-commit hook left behind;
5. done. Every step is audited (`erasure.*`, `key.customer.destroy`, `key.held.*`).
"""
from __future__ import annotations

import logging
from datetime import timedelta
from typing import Callable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from quietroom import content
from quietroom.audit.log import Actor, record
from quietroom.escalation.categories import CATEGORIES
from quietroom.escalation.models import Case
from quietroom.exports.models import ExportCustomer
from quietroom.recordings.models import CustomerKey, Recording, Snippet
from quietroom.recordings.pseudonyms import customer_pseudonym
from quietroom.review.models import Draft, Task

from . import holds
from .models import ErasureRequest

logger = logging.getLogger(__name__)

Step = ErasureRequest.Step
BATCH = 200  # recordings per transaction while removing content
# An unfinished erasure nobody has advanced for this long was interrupted: finish_waiting resumes it.
STUCK_AFTER = timedelta(hours=1)
COUNTS = ("recordings", "snippets", "tasks", "blobs", "notes")


def _noop(step: str) -> None:
    pass


def erase_customer(controller, customer_id: str, actor: Actor, *,
                   after_step: Callable[[str], None] = _noop) -> ErasureRequest:
    """Erase one customer of `controller` (by the product's own customer id)."""
    return erase_pseudonym(controller, customer_pseudonym(controller.id, customer_id), actor, after_step=after_step)


def erase_pseudonym(controller, pseudonym: str, actor: Actor, *,
                    after_step: Callable[[str], None] = _noop, trigger: str = "") -> ErasureRequest:
    request, created = ErasureRequest.objects.get_or_create(
        controller=controller, customer_pseudonym=pseudonym, defaults={"requested_by": actor.name},
    )
    if request.step == Step.DONE:
        record(actor, "erasure.repeat", object_type="erasure", object_id=request.id, customer=pseudonym,
               purpose="erasure", details={"note": "already erased; nothing left to do"})
        return request
    request.runs += 1
    ErasureRequest.objects.filter(pk=request.pk).update(runs=request.runs)
    record(actor, "erasure.start" if created else "erasure.resume", object_type="erasure", object_id=request.id,
           customer=pseudonym, purpose="erasure",
           details={"from_step": request.step, **({"trigger": trigger} if trigger else {})})

    if request.step in (Step.REQUESTED, Step.BLOCKED):
        _destroy_key_keeping_holds(request, controller, pseudonym, actor)
        after_step(Step.KEY_DESTROYED)

    if request.step == Step.KEY_DESTROYED:
        removed = _remove_content(controller, pseudonym, dict(request.removed), request, after_step)
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

    if request.step in (Step.EXPORTS_LISTED, Step.HELD):
        _settle_holds(request, pseudonym, actor, after_step)
    return request


def _advance(request: ErasureRequest, step: str, *fields: str) -> None:
    request.step = step
    request.save(update_fields=["step", "updated_at", *fields])


# -- step 1: keep what is held, destroy the customer's key -------------------------------------


def _destroy_key_keeping_holds(request, controller, pseudonym: str, actor: Actor) -> None:
    with transaction.atomic():
        # No hold can be proposed, confirmed, turned down or released while we decide what stays.
        holds.lock_cases_of(controller, pseudonym)
        holdings = holds.holdings(controller, pseudonym)
        customer_key = CustomerKey.objects.select_for_update().filter(pseudonym=pseudonym).first()
        kept = []
        if customer_key is not None and customer_key.destroyed_at is None:
            for snippet_ref, case_ids in _cases_per_snippet(holdings).items():
                held = content.hold_objects(request, customer_key, snippet_ref, case_ids)
                if held is not None:
                    kept.append(held)
                    record(actor, "key.held.create", object_type="held_key", object_id=held.pk, customer=pseudonym,
                           purpose="erasure", details={"snippet": str(snippet_ref), "cases": held.cases,
                                                       "kept": held.kept})
        destroyed = content.destroy_customer_key(pseudonym)
        request.held = _report(holdings, kept)
        _advance(request, Step.KEY_DESTROYED, "held")
        record(actor, "key.customer.destroy", object_type="customer_key", object_id=pseudonym,
               customer=pseudonym, purpose="erasure",
               details={"newly_destroyed": destroyed, "held_keys": len(kept)})


def _cases_per_snippet(holdings) -> dict:
    per_snippet: dict = {}
    for holding in holdings:
        if holding.snippet_ref is not None:
            per_snippet.setdefault(holding.snippet_ref, set()).add(holding.case_id)
    return per_snippet


def _report(holdings, held_keys) -> list[dict]:
    """Which case holds what, since and until when: ids, categories, dates and counts, no content."""
    kept = {key.snippet_ref: key.kept for key in held_keys if key.destroyed_at is None}
    return [
        {"case_id": str(h.case_id), "category": h.category, "hold": "confirmed" if h.confirmed else "proposed",
         "since": h.since.isoformat(),
         # A confirmed hold lasts until an officer releases it; a proposal until the second
         # officer decides (confirmed: then until released; turned down: the erasure finishes).
         "until": "released" if h.confirmed else "decided",
         "decide_by": h.decide_by.isoformat() if h.decide_by else None,
         "kept": dict(kept[h.snippet_ref])}
        for h in holdings if h.snippet_ref in kept
    ]


def held_report(request: ErasureRequest) -> list[dict]:
    """What holds keep now (a proposal may have been confirmed since the last run)."""
    if request.step != Step.HELD:
        return list(request.held)
    live = list(request.held_keys.filter(destroyed_at__isnull=True))
    return _report(holds.holdings(request.controller_id, request.customer_pseudonym), live)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def describe_hold(entry: dict) -> str:
    """One line per holding case: id, category, since, until when, what is kept (counts only)."""
    kept = entry["kept"]
    what = ", ".join([_plural(kept.get("snippets", 0), "snippet"), _plural(kept.get("transcripts", 0), "transcript"),
                      _plural(kept.get("notes", 0), "case note")])
    category = CATEGORIES.get(entry["category"], entry["category"])
    if entry["hold"] == "confirmed":
        when = f"legal hold since {entry['since']}, kept until an escalation officer releases it"
    else:
        when = (f"legal hold proposed {entry['since']}, kept until a second officer decides "
                f"(respond by {entry['decide_by']})")
    return f"case {entry['case_id']} ({category}): {when}; keeps {what}"


# -- step 2: remove everything that is not held ------------------------------------------------


def _remove_content(controller, pseudonym: str, removed: dict, request, after_step) -> dict:
    key = CustomerKey.objects.filter(pseudonym=pseudonym).first()
    if key is None:
        return removed
    counts = {k: int(removed.get(k, 0)) for k in COUNTS}
    live = list(request.held_keys.filter(destroyed_at__isnull=True))
    kept_snippets = [held.snippet_ref for held in live]
    kept_cases = [case_id for held in live for case_id in held.cases]
    store = content.blob_store()
    # Tasks that name the customer directly (leases included) go first: the queue never
    # hands out a task of an erased customer, and live leases end now. A held snippet keeps
    # the tasks that carry its submitted transcripts (and loses their drafts).
    keep_tasks = list(Task.objects.filter(snippet_id__in=kept_snippets, submissions__isnull=False)
                      .values_list("pk", flat=True).distinct())
    counts["tasks"] += (Task.objects.filter(Q(customer_key=key) | Q(snippet__recording__customer_key=key))
                        .exclude(pk__in=keep_tasks).delete()[1].get("review.Task", 0))
    Draft.objects.filter(task_id__in=keep_tasks).delete()
    # Notes of cases that hold nothing: unreadable since step 1, now gone.
    counts["notes"] += (Case.objects.filter(controller=controller, customer_pseudonym=pseudonym,
                                            note_ciphertext__isnull=False)
                        .exclude(pk__in=kept_cases).update(note_ciphertext=None, note_wrapped_dek=None))
    while True:
        ids = list(Recording.objects.filter(customer_key=key).exclude(snippets__id__in=kept_snippets)
                   .order_by("pk").values_list("pk", flat=True)[:BATCH])
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
    # A recording with a held snippet keeps its row and that snippet: its raw audio and its
    # other snippets go.
    for recording in Recording.objects.filter(customer_key=key, snippets__id__in=kept_snippets).distinct():
        others = Snippet.objects.filter(recording=recording).exclude(pk__in=kept_snippets)
        blob_keys = [k for k in others.values_list("blob_key", flat=True) if k]
        blob_keys += [recording.blob_key] if recording.blob_key else []
        for blob in blob_keys:
            store.delete(blob)
        with transaction.atomic():
            counts["snippets"] += others.delete()[1].get("recordings.Snippet", 0)
            if recording.blob_key or recording.wrapped_dek is not None:
                Recording.objects.filter(pk=recording.pk).update(
                    blob_key="", wrapped_dek=None, raw_deleted_at=recording.raw_deleted_at or timezone.now())
            counts["blobs"] += len(blob_keys)
            request.removed = counts
            request.save(update_fields=["removed", "updated_at"])
    return counts


# -- step 3: the deletion list -----------------------------------------------------------------


def deletion_list(pseudonym: str) -> list[dict]:
    holders = ExportCustomer.objects.filter(customer_pseudonym=pseudonym).select_related("export")
    return [
        {"export_id": str(h.export_id), "format": h.export.format, "created_at": h.export.created_at.isoformat(),
         "created_by": h.export.created_by, "items": h.items}
        for h in holders.order_by("export__created_at")
    ]


# -- step 4: settle the holds ------------------------------------------------------------------


def _settle_holds(request, pseudonym: str, actor: Actor, after_step) -> None:
    for held in list(request.held_keys.order_by("created_at", "pk")):
        if held.destroyed_at is None:
            with transaction.atomic():
                if holds.snippet_is_held(held.snippet_ref, lock=True):
                    continue
                # False: a concurrent run destroyed it, and audited it, first.
                if content.destroy_held_key(held):
                    Case.objects.filter(pk__in=held.cases).update(note_ciphertext=None, note_wrapped_dek=None)
                    details = {"snippet": str(held.snippet_ref), "cases": held.cases}
                    record(actor, "key.held.destroy", object_type="held_key", object_id=held.pk,
                           customer=pseudonym, purpose="erasure", details=details)
                    record(actor, "erasure.hold_ended", object_type="erasure", object_id=request.id,
                           customer=pseudonym, purpose="erasure", details=details)
            after_step("held_key_destroyed")
        _remove_held_snippet(request, held.snippet_ref)

    with transaction.atomic():
        step = ErasureRequest.objects.select_for_update().filter(pk=request.pk).values_list("step", flat=True).get()
        if step == Step.DONE:  # a concurrent run finished it
            request.refresh_from_db()
            return
        live = list(request.held_keys.filter(destroyed_at__isnull=True))
        if live:
            request.held = _report(holds.holdings(request.controller_id, pseudonym), live)
            _advance(request, Step.HELD, "held", "removed")
            record(actor, "erasure.held", object_type="erasure", object_id=request.id, customer=pseudonym,
                   purpose="erasure", details={"holds": request.held})
        else:
            request.held = []
            request.completed_at = timezone.now()
            _advance(request, Step.DONE, "held", "removed", "completed_at")
            record(actor, "erasure.completed", object_type="erasure", object_id=request.id,
                   customer=pseudonym, purpose="erasure")


def _remove_held_snippet(request, snippet_ref) -> None:
    """The rows and blob of a snippet whose held key is destroyed (unreadable already)."""
    snippet = Snippet.objects.filter(pk=snippet_ref).first()
    if snippet is None:
        return
    if snippet.blob_key:
        content.blob_store().delete(snippet.blob_key)
    counts = {k: int(request.removed.get(k, 0)) for k in COUNTS}
    with transaction.atomic():
        counts["tasks"] += Task.objects.filter(snippet_id=snippet_ref).delete()[1].get("review.Task", 0)
        counts["snippets"] += Snippet.objects.filter(pk=snippet_ref).delete()[1].get("recordings.Snippet", 0)
        counts["blobs"] += 1 if snippet.blob_key else 0
        if not Snippet.objects.filter(recording_id=snippet.recording_id).exists():
            counts["recordings"] += Recording.objects.filter(pk=snippet.recording_id).delete()[1].get(
                "recordings.Recording", 0)
        request.removed = counts
        request.save(update_fields=["removed", "updated_at"])


# -- finishing by itself -----------------------------------------------------------------------


def on_hold_ended(sender, *, controller_id, customer_pseudonym, case_id, why, **kwargs) -> None:
    """`escalation.holds.hold_ended` receiver (after the release or rejection committed)."""
    request = ErasureRequest.objects.filter(controller_id=controller_id, customer_pseudonym=customer_pseudonym,
                                            step=Step.HELD).select_related("controller").first()
    if request is not None:
        erase_pseudonym(request.controller, customer_pseudonym, Actor.system(), trigger=f"{why} (case {case_id})")


def _has_work(request: ErasureRequest) -> bool:
    """A waiting erasure with something to do: a hold ended, or a crash left a step half done."""
    keys = list(request.held_keys.all())
    live = [k for k in keys if k.destroyed_at is None]
    if not live or any(not holds.snippet_is_held(k.snippet_ref) for k in live):
        return True
    return Snippet.objects.filter(pk__in=[k.snippet_ref for k in keys if k.destroyed_at is not None]).exists()


def finish_waiting(now=None) -> int:
    """Resume every erasure whose hold has ended, or that a crash left unfinished; how many ran.

    The after-commit hook of a release or rejection normally finishes the erasure at once; this
    is the safety net (Celery beat `quietroom.privacy_finish_erasures`, or cron
    `quietroom privacy finish-erasures`). An erasure still held is left alone (nothing written).
    """
    now = now or timezone.now()
    waiting = ErasureRequest.objects.exclude(step=Step.DONE).select_related("controller").order_by("requested_at")
    ran, failures = 0, []
    for request in waiting:
        due = _has_work(request) if request.step == Step.HELD else request.updated_at <= now - STUCK_AFTER
        if not due:
            continue
        try:
            erase_pseudonym(request.controller, request.customer_pseudonym, Actor.system(), trigger="finish_waiting")
            ran += 1
        except Exception as exc:  # one broken erasure must not keep the others waiting
            logger.error("erasure %s could not be finished: %s", request.pk, type(exc).__name__)
            failures.append(exc)
    if failures:
        raise failures[0]
    return ran

