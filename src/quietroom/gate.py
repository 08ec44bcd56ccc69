"""The one gate to content.

Every decryption of a recording, a snippet or a transcript happens in this module, after
the eligibility policy (for people) has been asked, and in the same transaction as the audit
event that records it. Nothing else in QuietRoom calls the vault's decrypt functions; a test
(tests/test_gate_is_the_only_reader.py) enforces that by scanning the source. Account
secrets (TOTP seeds) are not content and their reads are not audited, but they are unwrapped
here too, so there is still one place that decrypts.

Writes (sealing new content) live here too, so the customer-key handling is in one place.
"""
from __future__ import annotations

import base64
import binascii
import functools
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from quietroom import vault
from quietroom.accounts.fields import SEALED_PREFIX, Sealed
from quietroom.accounts.models import User
from quietroom.audit.log import Actor, record
from quietroom.recordings.models import CustomerKey, Recording, Snippet
from quietroom.review.leases import lease_refusals
from quietroom.review.policy import decide_for


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


def destroy_customer_key(pseudonym: str) -> bool:
    """Erasure: destroy the customer's key so none of their content can ever be decrypted again.

    Every data key of the customer is wrapped by this key, so this one row update makes every
    copy of their audio and text (blob store backups included) unreadable at once. Returns
    False when it was already destroyed.
    """
    with transaction.atomic():
        row = CustomerKey.objects.select_for_update().filter(pseudonym=pseudonym).first()
        if row is None or (row.destroyed_at is not None and not row.wrapped_key):
            return False
        row.wrapped_key = None
        row.destroyed_at = row.destroyed_at or timezone.now()
        row.save(update_fields=["wrapped_key", "destroyed_at"])
        return True


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


def seal_draft(draft, customer: CustomerKey, text: str) -> None:
    """Encrypt an autosaved draft transcript exactly like a submitted one (unsaved)."""
    sealed = vault.encrypt_object(text.encode("utf-8"), draft.object_id, _customer_key(customer))
    draft.ciphertext = sealed.ciphertext
    draft.wrapped_dek = sealed.wrapped_dek


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
    reasons = list(decide_for(user, task, now).reasons) + lease_refusals(user, task, now)
    if reasons:
        record(
            actor, "snippet.play", outcome="denied", object_type="snippet", object_id=snippet.id,
            customer=customer.pseudonym, purpose="transcription", details={"reasons": reasons},
        )
        raise AccessDenied(reasons)
    # Outside the transaction below: the refusal must stay in the log when ContentGone
    # propagates (an erased customer's key, or a shredded snippet).
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
    with transaction.atomic():
        audio = vault.decrypt_object(
            blob_store().get(snippet.blob_key), bytes(snippet.wrapped_dek), snippet.object_id, key
        )
        record(
            actor, "snippet.play", object_type="snippet", object_id=snippet.id,
            customer=customer.pseudonym, purpose="transcription",
            details={"range": byte_range[:64]} if byte_range else {},
        )
    return StreamGrant(audio=audio)


def _lease_holder_reasons(user, task, now, *, also_owner_of=None) -> list[str]:
    """Why `user` may not read this task's content now (empty: they hold its live lease)."""
    reasons = list(decide_for(user, task, now).reasons)
    if also_owner_of is not None and also_owner_of.reviewer_id != user.id:
        reasons.append("snippet is not assigned to this reviewer")
    else:
        reasons.extend(lease_refusals(user, task, now))
    return reasons


def _reviewer_text(actor, action: str, task, reasons, sealed: tuple | None) -> str:
    """Audit a refusal, or decrypt `sealed` = (ciphertext, wrapped_dek, object_id) and audit the read.

    The read and its audit event share one transaction; the refusal is recorded outside any,
    so it survives the exception.
    """
    customer = task.snippet.recording.customer
    common = {"object_type": "snippet", "object_id": task.snippet_id, "customer": customer.pseudonym,
              "purpose": "transcription"}
    if reasons:
        record(actor, action, outcome="denied", details={"reasons": reasons}, **common)
        raise AccessDenied(reasons)
    if sealed is None:
        return ""
    ciphertext, wrapped_dek, object_id = sealed
    with transaction.atomic():
        text = vault.decrypt_object(bytes(ciphertext), bytes(wrapped_dek), object_id,
                                    _customer_key(customer)).decode("utf-8")
        record(actor, action, **common)
    return text


def snippet_hypothesis_for_reviewer(user, task, *, now, address: str = "") -> str:
    """The redacted ASR hypothesis, for the reviewer holding the lease (audited view)."""
    snippet = task.snippet
    sealed = None if snippet.hypothesis_ciphertext is None else (
        snippet.hypothesis_ciphertext, snippet.hypothesis_wrapped_dek, f"{snippet.object_id}:hypothesis")
    return _reviewer_text(Actor.for_user(user, address), "hypothesis.view", task,
                          _lease_holder_reasons(user, task, now), sealed)


def draft_for_reviewer(user, task, draft, *, now, address: str = "") -> str:
    """The reviewer's own autosaved draft, only while they hold the lease (audited)."""
    sealed = None if draft.ciphertext is None else (draft.ciphertext, draft.wrapped_dek, draft.object_id)
    return _reviewer_text(Actor.for_user(user, address), "draft.read", task,
                          _lease_holder_reasons(user, task, now, also_owner_of=draft), sealed)


def transcripts_for_export(actor: Actor, submissions, *, purpose: str = "export"):
    """Yield (submission, text) for an export; one audit event per transcript read."""
    for submission in submissions:
        customer = submission.task.snippet.recording.customer
        if submission.transcript_ciphertext is None:
            continue  # destroyed (accidental activation): only its labels remain
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


def snippet_audio_for_export(actor: Actor, snippet: Snippet, *, purpose: str = "export") -> bytes | None:
    """The anonymized snippet audio for an export the operator asked for; one audit event.

    None when the snippet or its customer has been erased (the export simply leaves it out).
    """
    customer = snippet.recording.customer
    with transaction.atomic():
        if snippet.wrapped_dek is None or not snippet.blob_key:
            return None
        try:
            key = _customer_key(customer)
        except ContentGone:
            return None
        audio = vault.decrypt_object(
            blob_store().get(snippet.blob_key), bytes(snippet.wrapped_dek), snippet.object_id, key
        )
        record(actor, "snippet.read", object_type="snippet", object_id=snippet.id,
               customer=customer.pseudonym, purpose=purpose)
    return audio


# --- escalation (the controller's escalation staff) --------------------------------------


def seal_escalation_note(case, customer: CustomerKey, text: str) -> None:
    """A reviewer's note on flagged content is content: sealed like a transcript (unsaved)."""
    sealed = vault.encrypt_object(text.encode("utf-8"), case.object_id, _customer_key(customer))
    case.note_ciphertext = sealed.ciphertext
    case.note_wrapped_dek = sealed.wrapped_dek


def _escalation_refusals(user, case) -> list[str]:
    from quietroom.escalation.access import refusal_reasons

    return refusal_reasons(user, case)


def escalation_note_for_staff(user, case, *, address: str = "") -> str:
    """The reviewer's note, for the controller's escalation staff only (audited, with purpose)."""
    actor = Actor.for_user(user, address)
    reasons = _escalation_refusals(user, case)
    if reasons:
        record(actor, "escalation_note.read", outcome="denied", object_type="escalation_case", object_id=case.id,
               customer=case.customer_pseudonym, purpose="escalation review", details={"reasons": reasons})
        raise AccessDenied(reasons)
    if case.note_ciphertext is None:
        return ""
    customer = CustomerKey.objects.get(pseudonym=case.customer_pseudonym)
    with transaction.atomic():
        text = vault.decrypt_object(
            bytes(case.note_ciphertext), bytes(case.note_wrapped_dek), case.object_id, _customer_key(customer),
        ).decode("utf-8")
        record(actor, "escalation_note.read", object_type="escalation_case", object_id=case.id,
               customer=case.customer_pseudonym, purpose="escalation review")
    return text


def snippet_audio_for_escalation(user, case, *, address: str, byte_range: str = "") -> StreamGrant:
    """An escalation officer's play of a flagged snippet: only there, only for them, audited."""
    actor = Actor.for_user(user, address)
    reasons = _escalation_refusals(user, case)
    snippet = case.snippet
    if not reasons and (snippet is None or snippet.wrapped_dek is None or not snippet.blob_key):
        record(actor, "snippet.play", outcome="failed", object_type="snippet", object_id=case.snippet_id or "",
               customer=case.customer_pseudonym, purpose="escalation review", details={"reasons": ["erased"]})
        raise ContentGone("the snippet has been destroyed")
    if reasons:
        record(actor, "snippet.play", outcome="denied", object_type="snippet", object_id=case.snippet_id or "",
               customer=case.customer_pseudonym, purpose="escalation review",
               details={"reasons": reasons, "case": str(case.id)})
        raise AccessDenied(reasons)
    try:
        key = _customer_key(snippet.recording.customer)
    except ContentGone:
        record(actor, "snippet.play", outcome="failed", object_type="snippet", object_id=snippet.id,
               customer=case.customer_pseudonym, purpose="escalation review", details={"reasons": ["erased"]})
        raise
    with transaction.atomic():
        audio = vault.decrypt_object(
            blob_store().get(snippet.blob_key), bytes(snippet.wrapped_dek), snippet.object_id, key
        )
        record(actor, "snippet.play", object_type="snippet", object_id=snippet.id,
               customer=case.customer_pseudonym, purpose="escalation review",
               details={"case": str(case.id), **({"range": byte_range[:64]} if byte_range else {})})
    return StreamGrant(audio=audio)


def shred_escalation_note(case) -> None:
    """Delete the note for good with its snippet (no action and delete); unsaved."""
    case.note_ciphertext = None
    case.note_wrapped_dek = None


# --- account secrets (keys, not content) -------------------------------------------------


def seal_account_secret(purpose: str, secret: str) -> str:
    """The stored form of a second-factor seed: wrapped by the master key provider.

    `sealed:v1$<master key id>$<base64>`; the key id says which master key opens it (and
    which ones a rotation must still move).
    """
    provider = key_provider()
    wrapped = vault.wrap_account_secret(provider, secret.encode("utf-8"), purpose)
    return f"{SEALED_PREFIX}{provider.key_id}${base64.b64encode(wrapped).decode('ascii')}"


def _parse_sealed(sealed: str) -> tuple[str, bytes]:
    if not sealed.startswith(SEALED_PREFIX):
        raise vault.DecryptionError("account secret is not sealed")
    key_id, _, encoded = sealed[len(SEALED_PREFIX):].rpartition("$")
    try:
        return key_id, base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise vault.DecryptionError("account secret is malformed") from None


def _open_with(provider, purpose: str, sealed: str) -> str:
    key_id, wrapped = _parse_sealed(sealed)
    if key_id != provider.key_id:
        raise vault.KeyProviderError(
            f"account secret is sealed under master key {key_id!r}, not {provider.key_id!r} "
            "(finish the master key rotation: quietroom rotate_master_key --from OLD)")
    return vault.unwrap_account_secret(provider, wrapped, purpose).decode("utf-8")


def open_account_secret(purpose: str, sealed: str) -> str:
    """The plain seed, for TOTP verification and enrolment only (what `user.totp_secret` reads)."""
    return _open_with(key_provider(), purpose, sealed)


def rewrap_account_secrets(old_provider) -> int:
    """Master key rotation for second-factor seeds: re-wrap those still under `old_provider`.

    Resumable like `rewrap_customer_keys`: each seed moves in its own compare-and-set update.
    """
    new_provider = key_provider()
    if old_provider.key_id == new_provider.key_id:
        return 0
    field = User._meta.get_field("totp_secret")
    moved = 0
    stale = User.objects.filter(totp_secret__startswith=f"{SEALED_PREFIX}{old_provider.key_id}$")
    for pk, sealed in stale.values_list("pk", "totp_secret").iterator():
        secret = _open_with(old_provider, field.purpose, sealed)
        resealed = seal_account_secret(field.purpose, secret)
        moved += User.objects.filter(pk=pk, totp_secret=Sealed(sealed)).update(totp_secret=Sealed(resealed))
    record(Actor.system(), "key.rotate.account_secrets", object_type="master_key", object_id=new_provider.key_id,
           details={"from": old_provider.key_id, "rewrapped": moved})
    return moved


# --- key operations --------------------------------------------------------------------


def rewrap_customer_keys(old_provider, *, batch: int = 500) -> int:
    """Master key rotation: re-wrap every customer key still under `old_provider`.

    Resumable by construction: each row is re-wrapped and saved in its own transaction and
    carries the id of the master key that wraps it, so a killed rotation simply continues
    with the rows not yet moved. Destroyed (erased) customers are skipped: there is nothing
    to move and nothing must come back.
    """
    new_provider = key_provider()
    if old_provider.key_id == new_provider.key_id:
        return 0
    moved = 0
    while True:
        rows = list(
            CustomerKey.objects.filter(master_key_id=old_provider.key_id, destroyed_at__isnull=True)
            .order_by("pk")[:batch]
        )
        if not rows:
            break
        for row in rows:
            with transaction.atomic():
                locked = CustomerKey.objects.select_for_update().get(pk=row.pk)
                if locked.master_key_id != old_provider.key_id or locked.destroyed_at is not None:
                    continue
                locked.wrapped_key = vault.rewrap_customer_key(
                    old_provider, new_provider, bytes(locked.wrapped_key), locked.pseudonym
                )
                locked.master_key_id = new_provider.key_id
                locked.save(update_fields=["wrapped_key", "master_key_id"])
                moved += 1
    record(Actor.system(), "key.rotate", object_type="master_key", object_id=new_provider.key_id,
           details={"from": old_provider.key_id, "rewrapped": moved})
    return moved
