"""Data-subject rights: erasure requests as resumable state machines."""
from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q


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
        HELD = "held"                        # all erased but what legal holds keep; ends with them
        DONE = "done"
        BLOCKED = "blocked"                  # before holds kept objects, a hold stopped it all (old rows)

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
    # What legal holds keep, per case: id, category, confirmed or proposed, since, until, counts
    # of kept objects. Never content. Empty once nothing is held.
    held = models.JSONField(default=list)

    class Meta:
        unique_together = [("controller", "customer_pseudonym")]


class HeldKey(models.Model):
    """The key that keeps one held snippet readable after its customer's key was destroyed.

    Erasure re-wraps the data keys of exactly what a legal hold keeps (the snippet's audio and
    hypothesis, its transcripts, the holding cases' notes) from the customer's key to this key,
    in the transaction that destroys the customer's key (`content.held`). Wrapped by the master
    key like a customer key, under its own name (`key_name`); destroyed when the last hold on
    the snippet ends, which erases the snippet like the rest of the customer.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    erasure = models.ForeignKey(ErasureRequest, on_delete=models.PROTECT, related_name="held_keys")
    # The held snippet's id, kept after its row is gone (like Case.snippet_ref).
    snippet_ref = models.UUIDField()
    # The cases whose holds keep it (ids, as strings): only their notes were re-wrapped.
    cases = models.JSONField(default=list)
    # Counts of what was re-wrapped: snippets, transcripts, notes.
    kept = models.JSONField(default=dict)
    wrapped_key = models.BinaryField(null=True)
    master_key_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    destroyed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snippet_ref"], condition=Q(destroyed_at__isnull=True),
                                    name="privacy_one_live_held_key_per_snippet"),
        ]

    @property
    def key_name(self) -> str:
        """The key's name in its wrapping's associated data: never a customer pseudonym (hex)."""
        return f"held:{self.id}"
