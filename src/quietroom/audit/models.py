"""The audit log: one row per auditable event, chained by hashes.

Rows carry no content, no secrets and no real customer ids: actors by username/pseudonym,
customers only by pseudonym, objects by id. The hash chain (each row's hash covers the
previous row's hash and its own canonical JSON) makes any edit, removal or reordering
detectable by `quietroom audit verify`; the Merkle tree and signed checkpoints come with the
audit issue.
"""
from django.db import models


class AuditEvent(models.Model):
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150, blank=True)  # username or "system"
    role = models.CharField(max_length=32, blank=True)
    organisation = models.CharField(max_length=200, blank=True)
    site = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, blank=True)
    address = models.CharField(max_length=45, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=32, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    customer = models.CharField(max_length=64, blank=True, help_text="customer pseudonym")
    purpose = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=16)  # "ok" or "denied" or "failed"
    details = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["customer", "action"]), models.Index(fields=["action"])]


class AuditHead(models.Model):
    """The single row holding the chain's head.

    Appenders lock and update this row; PostgreSQL hands a waiting appender the updated row
    (not the stale one), so sequence numbers and links stay gapless under concurrency.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
