"""The audit log: one row per auditable event, a Merkle tree over them, signed checkpoints.

Rows carry no content, no secrets and no real customer ids: customers only by pseudonym,
objects by id. The hashed form of a row (``log.canonical_json``) names the person acting by
their pseudonym and hides username and address behind a salted commitment, so a data
subject can be handed the exact hashed entry (and verify it) without learning who the
reviewer is.

Append-only: database triggers (migration 0002, ``triggers.py``) refuse UPDATE and DELETE on
events and checkpoints. Someone who drops them still cannot recompute the chain: each entry
and the head row carry an HMAC under a key kept outside the database (``chain.py``). The one permitted change is retention pruning: blanking the
descriptive fields of old, checkpointed entries while their hashes stay (see ``retention``).
"""
from django.db import models


class AuditEvent(models.Model):
    seq = models.BigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150, blank=True)  # username or "system"
    actor_pseudonym = models.CharField(max_length=32, blank=True)  # what reports show
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
    # Random per event: the commitment to (actor, address) cannot be tested against guesses.
    salt = models.CharField(max_length=32, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)
    # RFC 9162 leaf hash of canonical_json (hex), kept so proofs and pruned entries need no
    # recomputation; `audit verify` recomputes it from the columns all the same.
    leaf_hash = models.CharField(max_length=64, default="")
    # HMAC of hash and leaf_hash under the chain key, which the database never holds
    # (audit/chain.py): recomputing the chain after an edit needs that key.
    mac = models.CharField(max_length=64, default="", db_default="")
    pruned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["seq"]
        indexes = [
            models.Index(fields=["customer", "action"]),
            models.Index(fields=["action"]),
            # The auditor's pages (audit/browse.py): each filter, newest first by seq, one page at
            # a time. On PostgreSQL the action column uses the pattern operator class so that a
            # prefix ("escalation.*", LIKE 'escalation.%') is served whatever the database's
            # collation; equality uses it too. Other databases ignore operator classes.
            models.Index(fields=["action", "seq"], name="audit_event_action_seq",
                         opclasses=["varchar_pattern_ops", ""]),
            models.Index(fields=["actor_pseudonym", "seq"], name="audit_event_actor_seq"),
            models.Index(fields=["object_type", "object_id", "seq"], name="audit_event_object_seq"),
            models.Index(fields=["outcome", "seq"], name="audit_event_outcome_seq"),
            models.Index(fields=["at"], name="audit_event_at"),
        ]


class AuditHead(models.Model):
    """The single row holding the chain's head.

    Appenders lock and update this row; PostgreSQL hands a waiting appender the updated row
    (not the stale one), so sequence numbers and links stay gapless under concurrency.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)
    # HMAC of (seq, hash) under the chain key: moving the head back over a cut tail needs it.
    tag = models.CharField(max_length=64, default="", db_default="")


class AuditCheckpoint(models.Model):
    """A signed tree head (C2SP checkpoint), with the consistency proof from the one before."""

    size = models.BigIntegerField(unique=True)
    root_hash = models.CharField(max_length=64)  # hex
    note = models.TextField()  # the signed note, exactly as signed and exported
    created_at = models.DateTimeField(auto_now_add=True)
    previous_size = models.BigIntegerField(null=True, blank=True)
    consistency_proof = models.JSONField(default=list)  # hex hashes, RFC 9162 §2.1.4
    # Roots of the perfect subtrees on the tree's right edge at this size (hex, left to right):
    # the next checkpoint extends the tree from these without reading the older entries.
    compact_range = models.JSONField(default=list)

    class Meta:
        ordering = ["size"]


class AuditPrune(models.Model):
    """Authorises retention to blank entries up to `upto_seq` (always a checkpointed size)."""

    upto_seq = models.BigIntegerField()
    checkpoint_size = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    cutoff = models.DateTimeField()


class Delivery(models.Model):
    """One audio delivery to a person (a play, an escalation play, an exported snippet): the
    watermark serial its audio carries, under which key, and the audit event it belongs to.

    `quietroom trace` and the privacy officer's page read a serial out of a leaked copy and
    find the delivery here. Written in the same transaction as the audit event; never changed.
    """

    key_id = models.CharField(max_length=16)
    serial = models.PositiveIntegerField()
    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="delivery")
    # The page view whose further requests (range requests, the waveform) get the same bytes.
    view = models.CharField(max_length=64, blank=True, db_index=True)
    object_id = models.CharField(max_length=64)  # the snippet

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key_id", "serial"], name="delivery_serial_once_per_key")]
