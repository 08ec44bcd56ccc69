"""Data-subject rights: erasure requests as resumable state machines."""
from __future__ import annotations

import uuid

from django.db import models


class ErasureRequest(models.Model):
    """One customer's erasure, one row, advanced step by step.

    Each step commits before the next starts and every step is idempotent, so a killed
    erasure resumes where it stopped when it is run again, and erasing twice is harmless.
    """

    class Step(models.TextChoices):
        REQUESTED = "requested"
        KEY_DESTROYED = "key_destroyed"      # unreadable everywhere, backups included
        CONTENT_REMOVED = "content_removed"  # snippets, transcripts, labels, tasks, leases, blobs
        EXPORTS_LISTED = "exports_listed"    # deletion list for exports that held their items
        DONE = "done"
        BLOCKED = "blocked"                  # a legal hold stops it

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    controller = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    customer_pseudonym = models.CharField(max_length=64)
    step = models.CharField(max_length=20, choices=Step.choices, default=Step.REQUESTED)
    requested_by = models.CharField(max_length=150)
    requested_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    runs = models.PositiveIntegerField(default=0)
    removed = models.JSONField(default=dict)  # counts per kind of object removed
    # The deletion list: exports that held this customer's items (id, format, date, items).
    exports = models.JSONField(default=list)

    class Meta:
        unique_together = [("controller", "customer_pseudonym")]
