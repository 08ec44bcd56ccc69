"""Held keys: what a legal hold keeps of an erased customer, under a key of its own.

Erasure destroys the customer's key, which makes every object of theirs unreadable at once. What
a legal hold keeps (GDPR Art. 17(3)(e)) must stay readable by escalation staff, so just before, in
the same transaction, the data keys of exactly those objects — the held snippet's audio and
hypothesis, its submitted transcripts, the notes of the cases that hold it — are re-wrapped from
the customer's key to a new key for that snippet (`privacy.HeldKey`, wrapped by the master key
like a customer key). The objects' ciphertexts do not move. Anything not re-wrapped, including
anything overlooked, dies with the customer's key: the hold keeps an allow-list, never a
deny-list. When the last hold on the snippet ends its held key is destroyed the same way.
"""
from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from quietroom import vault
from quietroom.escalation.models import Case
from quietroom.privacy.models import HeldKey
from quietroom.recordings.models import CustomerKey, Snippet
from quietroom.review.models import Submission

from .keys import key_of
from .stores import key_provider


def hold_objects(erasure, customer_key: CustomerKey, snippet_ref, case_ids) -> HeldKey | None:
    """Re-wrap what the holds of `case_ids` keep of snippet `snippet_ref` under a new held key.

    Call inside the transaction that then destroys `customer_key`. None when nothing of the
    snippet is left to keep (no audio, no transcript, no note).
    """
    old = key_of(customer_key)
    provider = key_provider()
    held = HeldKey(id=uuid.uuid4(), erasure=erasure, snippet_ref=snippet_ref, master_key_id=provider.key_id,
                   cases=sorted(str(c) for c in case_ids))
    new, held.wrapped_key = vault.new_customer_key(provider, held.key_name)

    def moved(wrapped, object_id):
        return vault.rewrap_data_key(bytes(wrapped), object_id, old, new)

    kept = {"snippets": 0, "transcripts": 0, "notes": 0}
    snippet = Snippet.objects.select_for_update().filter(pk=snippet_ref, recording__customer_key=customer_key).first()
    if snippet is not None and snippet.wrapped_dek is not None:
        snippet.wrapped_dek = moved(snippet.wrapped_dek, snippet.object_id)
        if snippet.hypothesis_wrapped_dek is not None:
            snippet.hypothesis_wrapped_dek = moved(snippet.hypothesis_wrapped_dek, f"{snippet.object_id}:hypothesis")
        snippet.save(update_fields=["wrapped_dek", "hypothesis_wrapped_dek"])
        kept["snippets"] = 1
    for submission in Submission.objects.select_for_update().filter(task__snippet_id=snippet_ref,
                                                                     wrapped_dek__isnull=False):
        submission.wrapped_dek = moved(submission.wrapped_dek, submission.object_id)
        submission.save(update_fields=["wrapped_dek"])
        kept["transcripts"] += 1
    for case in Case.objects.select_for_update().filter(pk__in=list(case_ids), note_wrapped_dek__isnull=False):
        case.note_wrapped_dek = moved(case.note_wrapped_dek, case.object_id)
        case.save(update_fields=["note_wrapped_dek"])
        kept["notes"] += 1
    if not any(kept.values()):
        return None
    held.kept = kept
    held.save(force_insert=True)
    return held


def held_key_for(snippet_ref, case_id=None) -> HeldKey | None:
    """The live held key of a snippet (and, for a note, only if that case's note was kept)."""
    held = HeldKey.objects.filter(snippet_ref=snippet_ref, destroyed_at__isnull=True).first()
    if held is not None and case_id is not None and str(case_id) not in held.cases:
        return None
    return held


def destroy_held_key(held: HeldKey) -> bool:
    """The hold ended: nothing the key kept can be decrypted again. False if already destroyed."""
    with transaction.atomic():
        row = HeldKey.objects.select_for_update().get(pk=held.pk)
        newly = not (row.destroyed_at is not None and not row.wrapped_key)
        if newly:
            row.wrapped_key = None
            row.destroyed_at = row.destroyed_at or timezone.now()
            row.save(update_fields=["wrapped_key", "destroyed_at"])
    held.wrapped_key, held.destroyed_at = row.wrapped_key, row.destroyed_at
    return newly
