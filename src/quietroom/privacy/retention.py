"""Retention: configured periods (settings.QUIETROOM_RETENTION, days; 0 = keep) enforced by a
scheduled job (Celery beat `quietroom.privacy_retention`, or `quietroom privacy retention`).

- raw recordings: blob and data key deleted (the pipeline already does this once snippets exist);
- snippets: content shredded (data keys, hypothesis, blob), queued tasks for them removed;
- transcripts: ciphertext and data key removed, the submission's metadata stays;
- audit records: the log is append-only, so retention never deletes entries. It blanks the
  descriptive fields of entries older than the period that a signed checkpoint already covers,
  keeping each entry's sequence number, chain hash and Merkle leaf hash: every checkpoint root
  still verifies, and the database triggers allow exactly that change and no other.
"""
from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from quietroom import content
from quietroom.audit import checkpoints
from quietroom.audit.log import Actor, record
from quietroom.audit.models import AuditEvent, AuditPrune
from quietroom.recordings.models import Recording, Snippet
from quietroom.review.models import Submission, Task

from .holds import held_snippet_ids

BATCH = 500


def _cutoff(now, key: str):
    days = int(settings.QUIETROOM_RETENTION.get(key, 0) or 0)
    return now - timedelta(days=days) if days > 0 else None


def enforce(now=None, actor: Actor | None = None) -> dict:
    now = now or timezone.now()
    actor = actor or Actor.system()
    done = {"raw_recordings": 0, "snippets": 0, "transcripts": 0, "audit_entries": 0}

    if cutoff := _cutoff(now, "RAW_RECORDING_DAYS"):
        for recording in Recording.objects.filter(received_at__lt=cutoff, raw_deleted_at__isnull=True).exclude(blob_key="").iterator():
            with transaction.atomic():
                content.delete_raw_audio(recording)
                recording.save(update_fields=["blob_key", "wrapped_dek", "raw_deleted_at"])
            done["raw_recordings"] += 1

    if cutoff := _cutoff(now, "SNIPPET_DAYS"):
        # Snippets under a legal hold (escalation) stay until the hold is released.
        held = held_snippet_ids()
        while batch := list(Snippet.objects.filter(created_at__lt=cutoff, shredded_at__isnull=True)
                            .exclude(pk__in=held)[:BATCH]):
            with transaction.atomic():
                Task.objects.filter(snippet__in=batch, status="queued").delete()
                for snippet in batch:
                    content.shred_snippet(snippet)
            done["snippets"] += len(batch)

    if cutoff := _cutoff(now, "TRANSCRIPT_DAYS"):
        done["transcripts"] = Submission.objects.filter(
            submitted_at__lt=cutoff, transcript_ciphertext__isnull=False,
        ).exclude(task__snippet_id__in=held_snippet_ids()).update(transcript_ciphertext=None, wrapped_dek=None)

    if cutoff := _cutoff(now, "AUDIT_DAYS"):
        done["audit_entries"] = prune_audit(cutoff)

    record(actor, "retention.run", purpose="retention", details=done)
    return done


def prune_audit(cutoff) -> int:
    """Blank old, checkpointed audit entries (hashes stay; see the module docstring)."""
    latest = checkpoints.latest()
    if latest is None:
        return 0
    upto = (AuditEvent.objects.filter(at__lt=cutoff, seq__lte=latest.size)
            .order_by("-seq").values_list("seq", flat=True).first())
    if not upto:
        return 0
    with transaction.atomic():
        AuditPrune.objects.create(upto_seq=upto, checkpoint_size=latest.size, cutoff=cutoff)
        return AuditEvent.objects.filter(seq__lte=upto, pruned_at__isnull=True).update(
            actor="", actor_pseudonym="", role="", organisation="", site="", country="", address="",
            action="", object_type="", object_id="", customer="", purpose="", outcome="", details={},
            salt="", pruned_at=timezone.now(),
        )
