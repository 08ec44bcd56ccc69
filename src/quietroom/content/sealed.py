"""What the gate opens: a description of one stored object, never its plaintext.

Each `*_of` function says where an object's ciphertext lives (a row's column or a blob), which
data key and customer key open it, and what the audit log calls it. The gate takes one of
these, asks the policy, decrypts and audits (`gate.open_audited`). `empty` means nothing is
stored (no hypothesis, an empty draft, no note, a transcript destroyed with its accidental
activation): the reader gets empty text. `gone` means the object's keys were destroyed
(shredded, erased).

What a legal hold keeps of an erased customer is wrapped by a held key instead of the customer's
(`content.held`). Only the escalation reads look for it (`held=True`, and the case note): every
other reader finds such an object gone, as it finds everything else of an erased customer.
"""
from __future__ import annotations

from dataclasses import dataclass

from quietroom.privacy.models import HeldKey
from quietroom.recordings.models import CustomerKey, Recording, Snippet

from .held import held_key_for


@dataclass(frozen=True)
class SealedContent:
    object_type: str               # as the audit log names it: snippet, transcript, recording, ...
    object_id: object              # the row the audit event is about
    customer_key: CustomerKey | HeldKey | None  # wraps the data key (None: the key row is gone)
    customer_pseudonym: str           # for the audit event (kept even when the key row is gone)
    aad: str                       # the vault's object id (associated data)
    wrapped_dek: bytes | None
    ciphertext: bytes | None = None   # stored in the row ...
    blob_key: str = ""                # ... or in the blob store
    empty: bool = False               # nothing stored: reads as empty text

    @property
    def gone(self) -> bool:
        """Destroyed: no data key, no ciphertext, or the customer's key is destroyed."""
        return (self.wrapped_dek is None or (self.ciphertext is None and not self.blob_key)
                or self.customer_key is None or self.customer_key.destroyed_at is not None)


def raw_audio_of(recording: Recording) -> SealedContent:
    customer_key = recording.customer_key
    return SealedContent("recording", recording.id, customer_key, customer_key.pseudonym, recording.object_id,
                         _bytes(recording.wrapped_dek), blob_key=recording.blob_key)


def _held_or(customer_key: CustomerKey | None, snippet_ref, case_id=None) -> CustomerKey | HeldKey | None:
    """After the customer's erasure, the held key of what a legal hold kept (if any)."""
    if customer_key is not None and customer_key.destroyed_at is None:
        return customer_key  # the usual case: no query
    return held_key_for(snippet_ref, case_id) or customer_key


def snippet_audio_of(snippet: Snippet | None, *, object_id=None, customer_pseudonym: str = "",
                     held: bool = False) -> SealedContent:
    """A snippet's anonymised audio; a deleted snippet row (escalation case) is simply gone.

    `held`: the escalation read, which may open a snippet a legal hold kept from an erasure.
    """
    if snippet is None:
        return SealedContent("snippet", object_id or "", None, customer_pseudonym, "", None)
    customer_key = snippet.recording.customer_key
    wrapping = _held_or(customer_key, snippet.id) if held else customer_key
    return SealedContent("snippet", snippet.id, wrapping, customer_key.pseudonym, snippet.object_id,
                         _bytes(snippet.wrapped_dek), blob_key=snippet.blob_key)


def hypothesis_of(snippet: Snippet) -> SealedContent:
    customer_key = snippet.recording.customer_key
    return SealedContent("snippet", snippet.id, customer_key, customer_key.pseudonym, f"{snippet.object_id}:hypothesis",
                         _bytes(snippet.hypothesis_wrapped_dek), ciphertext=_bytes(snippet.hypothesis_ciphertext),
                         empty=snippet.hypothesis_ciphertext is None)


def draft_of(draft, snippet: Snippet) -> SealedContent:
    """A reviewer's autosaved draft; audited as a read of its snippet."""
    customer_key = snippet.recording.customer_key
    return SealedContent("snippet", snippet.id, customer_key, customer_key.pseudonym, draft.object_id,
                         _bytes(draft.wrapped_dek), ciphertext=_bytes(draft.ciphertext), empty=draft.ciphertext is None)


def transcript_of(submission) -> SealedContent:
    """A submitted transcript; empty once destroyed (accidental activation: only labels remain)."""
    customer_key = submission.task.snippet.recording.customer_key
    return SealedContent("transcript", submission.id, customer_key, customer_key.pseudonym, submission.object_id,
                         _bytes(submission.wrapped_dek), ciphertext=_bytes(submission.transcript_ciphertext),
                         empty=submission.transcript_ciphertext is None)


def escalation_note_of(case) -> SealedContent:
    """A case's note: read by escalation staff only, so a legal hold's key may open it."""
    customer_key = None
    if case.note_ciphertext is not None:
        customer_key = _held_or(CustomerKey.objects.filter(pseudonym=case.customer_pseudonym).first(),
                                case.snippet_ref, case.id)
    return SealedContent("escalation_case", case.id, customer_key, case.customer_pseudonym, case.object_id,
                         _bytes(case.note_wrapped_dek), ciphertext=_bytes(case.note_ciphertext),
                         empty=case.note_ciphertext is None)


def _bytes(value) -> bytes | None:
    return None if value is None else bytes(value)
