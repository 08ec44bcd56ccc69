"""Sealing new content under its customer's key, and destroying content for good.

Every object gets its own data key, wrapped by the customer's key; the associated data names
the object (`vault.encrypt_object`), so a ciphertext moved to another row does not decrypt.
The seal functions fill in the row's fields and leave saving to the caller (one transaction
with whatever else the caller writes).
"""
from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from quietroom import vault
from quietroom.recordings.models import CustomerKey, Recording, Snippet

from .keys import key_of
from .stores import blob_store


def seal_recording_audio(recording: Recording, data: bytes) -> None:
    """Encrypt raw audio into the blob store; sets blob_key and wrapped_dek (unsaved)."""
    sealed = vault.encrypt_object(data, recording.object_id, key_of(recording.customer_key))
    recording.blob_key = f"recordings/{recording.id}"
    blob_store().put(recording.blob_key, sealed.ciphertext)
    recording.wrapped_dek = sealed.wrapped_dek


def seal_snippet_audio(snippet: Snippet, customer_key: CustomerKey, wav: bytes) -> None:
    sealed = vault.encrypt_object(wav, snippet.object_id, key_of(customer_key))
    snippet.blob_key = f"snippets/{snippet.recording_id}/{snippet.index}"
    blob_store().put(snippet.blob_key, sealed.ciphertext)
    snippet.wrapped_dek = sealed.wrapped_dek


def _seal_text(text: str, object_id: str, customer_key: CustomerKey) -> tuple[bytes, bytes]:
    """(ciphertext, wrapped data key) of `text`, stored in the row itself."""
    sealed = vault.encrypt_object(text.encode("utf-8"), object_id, key_of(customer_key))
    return sealed.ciphertext, sealed.wrapped_dek


def seal_snippet_hypothesis(snippet: Snippet, customer_key: CustomerKey, text: str) -> None:
    """Encrypt the (already redacted) ASR hypothesis of a snippet (unsaved)."""
    snippet.hypothesis_ciphertext, snippet.hypothesis_wrapped_dek = _seal_text(
        text, f"{snippet.object_id}:hypothesis", customer_key)


def seal_transcript(submission, customer_key: CustomerKey, text: str) -> None:
    submission.transcript_ciphertext, submission.wrapped_dek = _seal_text(text, submission.object_id, customer_key)


def seal_draft(draft, customer_key: CustomerKey, text: str) -> None:
    """Encrypt an autosaved draft transcript exactly like a submitted one (unsaved)."""
    draft.ciphertext, draft.wrapped_dek = _seal_text(text, draft.object_id, customer_key)


def seal_escalation_note(case, customer_key: CustomerKey, text: str) -> None:
    """A reviewer's note on flagged content is content: sealed like a transcript (unsaved)."""
    case.note_ciphertext, case.note_wrapped_dek = _seal_text(text, case.object_id, customer_key)


def shred_snippet(snippet: Snippet) -> None:
    """Destroy one snippet's content for good: its data keys go, then its ciphertext.

    Without the wrapped data keys nothing of the snippet can be decrypted, even from a backup
    of the blob store; the blob itself is removed after the transaction commits.
    """
    if snippet.blob_key:
        key = snippet.blob_key
        transaction.on_commit(lambda: blob_store().delete(key))
    snippet.wrapped_dek = None
    snippet.hypothesis_ciphertext = None
    snippet.hypothesis_wrapped_dek = None
    snippet.shredded_at = timezone.now()
    snippet.save(update_fields=["wrapped_dek", "hypothesis_ciphertext", "hypothesis_wrapped_dek", "shredded_at"])


def shred_escalation_note(case) -> None:
    """Delete the note for good with its snippet (no action and delete); unsaved."""
    case.note_ciphertext = None
    case.note_wrapped_dek = None


def delete_raw_audio(recording: Recording) -> None:
    """Retention: the raw recording goes once its snippets exist.

    The blob is deleted only after the transaction that records the snippets commits, so a
    crash in between can never lose a recording that has no snippets yet.
    """
    if recording.blob_key:
        key = recording.blob_key
        transaction.on_commit(lambda: blob_store().delete(key))
    recording.blob_key = ""
    recording.wrapped_dek = None
    recording.raw_deleted_at = timezone.now()
