"""The one gate to content.

Every decryption of a recording, a snippet or a transcript happens in this module, after
the eligibility policy (for people) has been asked, and in the same transaction as the audit
event that records it. Nothing else in QuietRoom calls the vault's decrypt functions; a test
(tests/test_gate_is_the_only_reader.py) enforces that by scanning the source.

Writes (sealing new content) live here too, so the customer-key handling is in one place.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from quietroom import vault
from quietroom.audit.log import Actor, record
from quietroom.recordings.models import CustomerKey, Recording, Snippet
from quietroom.review.eligibility import decide


class AccessDenied(Exception):
    def __init__(self, reasons):
        self.reasons = tuple(reasons)
        super().__init__("; ".join(self.reasons))


class ContentGone(Exception):
    """The content was erased or its key destroyed."""


@functools.lru_cache(maxsize=None)
def _key_provider(url: str):
    return vault.provider_from_url(url)


@functools.lru_cache(maxsize=None)
def _blob_store(url: str):
    return vault.blobstore_from_url(url)


def key_provider():
    return _key_provider(settings.KEY_PROVIDER_URL)


def blob_store():
    return _blob_store(settings.BLOB_URL)


# --- customer keys ---------------------------------------------------------------------


def customer_key_row(pseudonym: str) -> CustomerKey:
    """The customer's key row, created (with a new wrapped key) on first sight."""
    provider = key_provider()
    row = CustomerKey.objects.filter(pseudonym=pseudonym).first()
    if row is not None:
        return row
    _, wrapped = vault.new_customer_key(provider, pseudonym)
    row, _ = CustomerKey.objects.get_or_create(
        pseudonym=pseudonym,
        defaults={"wrapped_key": wrapped, "master_key_id": provider.key_id},
    )
    return row


def _customer_key(row: CustomerKey) -> bytes:
    if row.destroyed_at is not None or not row.wrapped_key:
        raise ContentGone("the customer's key has been destroyed")
    return vault.unwrap_customer_key(key_provider(), bytes(row.wrapped_key), row.pseudonym)


# --- sealing (writes) --------------------------------------------------------------------


def seal_recording_audio(recording: Recording, data: bytes) -> None:
    """Encrypt raw audio into the blob store; sets blob_key and wrapped_dek (unsaved)."""
    sealed = vault.encrypt_object(data, recording.object_id, _customer_key(recording.customer))
    recording.blob_key = f"recordings/{recording.id}"
    blob_store().put(recording.blob_key, sealed.ciphertext)
    recording.wrapped_dek = sealed.wrapped_dek


def seal_snippet_audio(snippet: Snippet, customer: CustomerKey, wav: bytes) -> None:
    sealed = vault.encrypt_object(wav, snippet.object_id, _customer_key(customer))
    snippet.blob_key = f"snippets/{snippet.recording_id}/{snippet.index}"
    blob_store().put(snippet.blob_key, sealed.ciphertext)
    snippet.wrapped_dek = sealed.wrapped_dek


def seal_snippet_hypothesis(snippet: Snippet, customer: CustomerKey, text: str) -> None:
    """Encrypt the (already redacted) ASR hypothesis of a snippet (unsaved)."""
    sealed = vault.encrypt_object(text.encode("utf-8"), f"{snippet.object_id}:hypothesis", _customer_key(customer))
    snippet.hypothesis_ciphertext = sealed.ciphertext
    snippet.hypothesis_wrapped_dek = sealed.wrapped_dek


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


def seal_transcript(submission, customer: CustomerKey, text: str) -> None:
    sealed = vault.encrypt_object(text.encode("utf-8"), submission.object_id, _customer_key(customer))
    submission.transcript_ciphertext = sealed.ciphertext
    submission.wrapped_dek = sealed.wrapped_dek


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


# --- reading (the gate) -------------------------------------------------------------------


def read_raw_for_pipeline(recording: Recording) -> bytes:
    """The de-identification pipeline's read of a raw recording (a machine, not a person)."""
    with transaction.atomic():
        if not recording.blob_key or recording.wrapped_dek is None:
            raise ContentGone("raw recording no longer stored")
        key = _customer_key(recording.customer)
        data = vault.decrypt_object(
            blob_store().get(recording.blob_key), bytes(recording.wrapped_dek), recording.object_id, key
        )
        record(
            Actor.system(), "recording.read", object_type="recording", object_id=recording.id,
            customer=recording.customer.pseudonym, purpose="deidentification",
        )
        return data


@dataclass(frozen=True)
class StreamGrant:
    audio: bytes
    content_type: str = "audio/wav"


def snippet_audio_for_reviewer(user, task, *, now, address: str, byte_range: str = "") -> StreamGrant:
    """A reviewer's play of the snippet they hold a lease on. Denials are audited too."""
    snippet = task.snippet
    customer = snippet.recording.customer
    actor = Actor.for_user(user, address)
    reasons = list(decide(user, user.site, task, now).reasons)
    if task.lease_owner_id != user.id or task.status != "leased":
        reasons.append("snippet is not assigned to this reviewer")
    elif task.lease_expires_at is None or task.lease_expires_at <= now:
        reasons.append("lease has expired")
    if reasons:
        record(
            actor, "snippet.play", outcome="denied", object_type="snippet", object_id=snippet.id,
            customer=customer.pseudonym, purpose="transcription", details={"reasons": reasons},
        )
        raise AccessDenied(reasons)
    with transaction.atomic():
        try:
            if snippet.wrapped_dek is None:
                raise ContentGone("the snippet has been destroyed")
            key = _customer_key(customer)
        except ContentGone:
            record(
                actor, "snippet.play", outcome="failed", object_type="snippet", object_id=snippet.id,
                customer=customer.pseudonym, purpose="transcription", details={"reasons": ["erased"]},
            )
            raise
        audio = vault.decrypt_object(
            blob_store().get(snippet.blob_key), bytes(snippet.wrapped_dek), snippet.object_id, key
        )
        record(
            actor, "snippet.play", object_type="snippet", object_id=snippet.id,
            customer=customer.pseudonym, purpose="transcription",
            details={"range": byte_range[:64]} if byte_range else {},
        )
    return StreamGrant(audio=audio)


def snippet_hypothesis_for_reviewer(user, task, *, now, address: str = "") -> str:
    """The redacted ASR hypothesis, for the reviewer holding the lease (audited view)."""
    snippet = task.snippet
    customer = snippet.recording.customer
    actor = Actor.for_user(user, address)
    reasons = list(decide(user, user.site, task, now).reasons)
    if task.lease_owner_id != user.id or task.status != "leased":
        reasons.append("snippet is not assigned to this reviewer")
    if reasons:
        record(actor, "hypothesis.view", outcome="denied", object_type="snippet", object_id=snippet.id,
               customer=customer.pseudonym, purpose="transcription", details={"reasons": reasons})
        raise AccessDenied(reasons)
    if snippet.hypothesis_ciphertext is None:
        return ""
    with transaction.atomic():
        text = vault.decrypt_object(
            bytes(snippet.hypothesis_ciphertext), bytes(snippet.hypothesis_wrapped_dek),
            f"{snippet.object_id}:hypothesis", _customer_key(customer),
        ).decode("utf-8")
        record(actor, "hypothesis.view", object_type="snippet", object_id=snippet.id,
               customer=customer.pseudonym, purpose="transcription")
    return text


def transcripts_for_export(actor: Actor, submissions, *, purpose: str = "export"):
    """Yield (submission, text) for an export; one audit event per transcript read."""
    for submission in submissions:
        customer = submission.task.snippet.recording.customer
        with transaction.atomic():
            try:
                key = _customer_key(customer)
            except ContentGone:
                continue
            text = vault.decrypt_object(
                bytes(submission.transcript_ciphertext), bytes(submission.wrapped_dek),
                submission.object_id, key,
            ).decode("utf-8")
            record(
                actor, "transcript.read", object_type="transcript", object_id=submission.id,
                customer=customer.pseudonym, purpose=purpose,
            )
        yield submission, text
