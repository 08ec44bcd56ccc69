"""Records of data going out (exports) and coming in (imports).

An export records its format, filters, which snippets it held and which customers' items they
were (the customer list is what erasure uses to issue deletion lists to whoever holds an
export), and how many snippets it held back, by reason, without saying which. An import run records where a batch came from and on what consent basis.
"""
from __future__ import annotations

import uuid

from django.db import models


class Export(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    format = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.CharField(max_length=150)
    # The controller whose data it holds; null for an operator's export across controllers.
    controller = models.ForeignKey("accounts.Organisation", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    filters = models.JSONField(default=dict)
    with_audio = models.BooleanField(default=False)
    item_count = models.PositiveIntegerField(default=0)
    # Snippet ids it held, so a download re-renders exactly these (minus anything that may no
    # longer leave: privacy.outbound). Never the ids of what was held back.
    snippet_ids = models.JSONField(default=list)
    # How many reviewed snippets matching its filters were held back, by reason (privacy.outbound
    # REASONS: flagged, legal_hold, withdrawn, erased): counts only. Empty for exports recorded
    # before the counts were kept.
    held_back = models.JSONField(default=dict)


class ExportCustomer(models.Model):
    export = models.ForeignKey(Export, on_delete=models.CASCADE, related_name="customers")
    customer_pseudonym = models.CharField(max_length=64, db_index=True)
    items = models.PositiveIntegerField(default=0)

    class Meta:
        unique_together = [("export", "customer_pseudonym")]


class ImportRun(models.Model):
    """One import of a dataset (any format) into an ingest batch, with its per-row report."""

    class Status(models.TextChoices):
        DONE = "done"
        FAILED = "failed"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    controller = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    batch = models.ForeignKey("recordings.IngestBatch", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    format = models.CharField(max_length=32)
    manifest_name = models.CharField(max_length=255)
    manifest_sha256 = models.CharField(max_length=64)
    # Where audio was read from: a source root's label or an s3:// prefix (never a secret).
    source = models.CharField(max_length=300)
    # Why QuietRoom may process these recordings (e.g. "Common Voice CC0 contributor consent").
    consent_basis = models.CharField(max_length=300)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DONE)
    error = models.CharField(max_length=500, blank=True)
    accepted = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    # [{"line": n, "recording_id": ..., "status": ..., "reason": ...}]: field names and reasons,
    # never audio or transcripts.
    rows = models.JSONField(default=list)
