"""Submitting a transcript: idempotent, policy-checked, encrypted, audited."""
from __future__ import annotations

from django.db import IntegrityError, transaction

from quietroom import gate
from quietroom.audit.log import Actor, record

from .eligibility import decide
from .models import Submission, Task

MAX_TRANSCRIPT_CHARS = 5000


class SubmissionRefused(Exception):
    def __init__(self, reasons):
        self.reasons = tuple(reasons)
        super().__init__("; ".join(self.reasons))


def submit(user, task_id, transcript: str, idempotency_key: str, *, now, address: str = "") -> Submission:
    """Store the reviewer's transcript once; a repeat with the same key returns the first."""
    existing = Submission.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.reviewer_id != user.id:
            raise SubmissionRefused(["idempotency key belongs to another submission"])
        return existing
    if not idempotency_key or len(idempotency_key) > 64:
        raise SubmissionRefused(["missing or malformed idempotency key"])
    if len(transcript) > MAX_TRANSCRIPT_CHARS:
        raise SubmissionRefused([f"transcript longer than {MAX_TRANSCRIPT_CHARS} characters"])
    try:
        with transaction.atomic():
            task = Task.objects.select_for_update().select_related("snippet__recording__customer").get(pk=task_id)
            customer = task.snippet.recording.customer
            reasons = list(decide(user, user.site, task, now).reasons)
            if task.lease_owner_id != user.id:
                reasons.append("snippet is not assigned to this reviewer")
            elif task.lease_expires_at is None or task.lease_expires_at <= now:
                reasons.append("lease has expired")
            if not reasons:
                submission = Submission(task=task, reviewer=user, idempotency_key=idempotency_key)
                gate.seal_transcript(submission, customer, transcript.strip())
                submission.save(force_insert=True)
                task.status = Task.Status.DONE
                task.lease_expires_at = None
                task.save(update_fields=["status", "lease_expires_at"])
                record(Actor.for_user(user, address), "transcript.submit", object_type="snippet",
                       object_id=task.snippet_id, customer=customer.pseudonym, purpose="transcription",
                       details={"submission": str(submission.id)})
                return submission
    except IntegrityError:
        # A concurrent retry with the same key won the race: return its result.
        existing = Submission.objects.filter(idempotency_key=idempotency_key, reviewer=user).first()
        if existing is None:
            raise
        return existing
    # Refusals are audited outside the transaction above, so the record survives the refusal.
    record(Actor.for_user(user, address), "transcript.submit", outcome="denied",
           object_type="snippet", object_id=task.snippet_id, customer=customer.pseudonym,
           details={"reasons": reasons})
    raise SubmissionRefused(reasons)
