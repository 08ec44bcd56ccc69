"""Review work: a task per snippet, leases on tasks, and submitted transcripts."""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Task(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        LEASED = "leased"
        DONE = "done"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    snippet = models.OneToOneField("recordings.Snippet", on_delete=models.CASCADE, related_name="task")
    locale = models.CharField(max_length=16)
    priority = models.IntegerField(default=0)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    lease_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["status", "locale", "-priority", "created_at"])]


class Submission(models.Model):
    """A reviewer's transcript, encrypted under the customer's key like the audio."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="submissions")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Chosen by the client per task view: a double click or a retry reuses it, so it can
    # never create a second result.
    idempotency_key = models.CharField(max_length=64, unique=True)
    transcript_ciphertext = models.BinaryField()
    wrapped_dek = models.BinaryField()
    submitted_at = models.DateTimeField(auto_now_add=True)

    @property
    def object_id(self) -> str:
        return f"transcript:{self.id}"
