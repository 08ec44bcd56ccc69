"""Escalation cases, decisions under four-eyes, legal holds, and reviewer-care data.

A reviewer's `Flag` (written by the room in the same transaction as the submission) opens
one `Case`. The case outlives the snippet: erasure or a "no action and
delete" decision removes the snippet, the case keeps its category, its decisions and its
timeline (built from the audit log). The reviewer's optional note is content, so it is sealed
under the customer's key through the gate like a transcript.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from .categories import CATEGORIES, SEVERITIES


class Flag(models.Model):
    """A reviewer flagged a snippet as sensitive content: it leaves review and opens one Case.

    Also what makes a snippet count as escalated for the eligibility function (nobody in review
    hears it again) and as distressing for the reviewer-care cap.
    """

    snippet = models.ForeignKey("recordings.Snippet", on_delete=models.CASCADE, related_name="flags")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=32)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "review_escalation"  # created by the review app before the model moved here


class Case(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        AWAITING_CONFIRMATION = "awaiting_confirmation"  # a hold or referral waits for a second person
        HELD = "held"                                    # legal hold in force
        CLOSED = "closed"

    class Decision(models.TextChoices):
        NO_ACTION = "no_action", "No action: delete the snippet"
        LEGAL_HOLD = "legal_hold", "Retain under legal hold"
        REFERRAL = "referral", "Refer under the controller's written policy"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    controller = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    # Both survive the snippet (erasure, deletion): the case record stays.
    snippet = models.ForeignKey("recordings.Snippet", null=True, on_delete=models.SET_NULL, related_name="+")
    flag = models.OneToOneField(Flag, null=True, on_delete=models.SET_NULL, related_name="case")
    # The snippet's id, kept after the row is gone: the timeline finds its audit events by it.
    snippet_ref = models.UUIDField(null=True)
    # The keyed-hash customer pseudonym (never the product's id): what holds are matched on.
    customer_pseudonym = models.CharField(max_length=64, db_index=True)
    category = models.CharField(max_length=32, choices=[(k, v) for k, v in CATEGORIES.items()])
    severity = models.CharField(max_length=16, choices=[(s, s) for s in SEVERITIES])
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    reported_at = models.DateTimeField()
    deadline_at = models.DateTimeField()
    deadline_warned_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.OPEN)
    decision = models.CharField(max_length=16, choices=Decision.choices, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # The reviewer's note, AES-GCM under a data key wrapped by the customer's key (content/sealing.py).
    note_ciphertext = models.BinaryField(null=True)
    note_wrapped_dek = models.BinaryField(null=True)

    class Meta:
        indexes = [models.Index(fields=["controller", "status", "deadline_at"], name="esc_case_queue_idx")]

    @property
    def object_id(self) -> str:
        return f"escalation_note:{self.id}"

    @property
    def has_note(self) -> bool:
        return self.note_ciphertext is not None

    @property
    def is_open(self) -> bool:
        return self.status in (self.Status.OPEN, self.Status.AWAITING_CONFIRMATION)


class Proposal(models.Model):
    """A decision as proposed by one officer; holds and referrals need a second to confirm."""

    class State(models.TextChoices):
        PENDING = "pending"
        CONFIRMED = "confirmed"
        REJECTED = "rejected"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="proposals")
    decision = models.CharField(max_length=16, choices=Case.Decision.choices)
    reason = models.TextField()
    # Referral only: to whom, and which clause of the controller's written policy allows it.
    referred_to = models.CharField(max_length=200, blank=True)
    policy_reference = models.CharField(max_length=200, blank=True)
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.PENDING)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_reason = models.TextField(blank=True)

    class Meta:
        constraints = [
            # One open proposal per case at a time.
            models.UniqueConstraint(fields=["case"], condition=Q(state="pending"), name="esc_one_pending_proposal"),
            # Four eyes, in the database too: whoever proposed cannot be the one who confirmed.
            models.CheckConstraint(condition=~Q(state="confirmed", decision__in=["legal_hold", "referral"],
                                                resolved_by=models.F("proposed_by")),
                                   name="esc_four_eyes"),
        ]


class LegalHold(models.Model):
    """Content kept out of retention and erasure until someone releases it, with reasons."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="holds")
    controller = models.ForeignKey("accounts.Organisation", on_delete=models.PROTECT, related_name="+")
    snippet = models.ForeignKey("recordings.Snippet", null=True, on_delete=models.SET_NULL, related_name="+")
    customer_pseudonym = models.CharField(max_length=64, db_index=True)
    reason = models.TextField()
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    release_reason = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["snippet"], name="esc_hold_active_snip_idx", condition=Q(released_at__isnull=True))]

    @property
    def active(self) -> bool:
        return self.released_at is None


class SnippetCare(models.Model):
    """The distress score of a snippet's redacted hypothesis (categories only, never words)."""

    snippet = models.OneToOneField("recordings.Snippet", on_delete=models.CASCADE, related_name="care")
    score = models.FloatField()
    warn = models.BooleanField(default=False)
    categories = models.JSONField(default=list)
    scored_at = models.DateTimeField(auto_now_add=True)


class SupportPage(models.Model):
    """Support resources a vendor offers its reviewers (counselling line, breaks policy, ...)."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE, related_name="support_page")
    body = models.TextField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)


class OnCall(models.Model):
    """Escalation staff currently on call: they get the e-mails (all of them when nobody is)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="escalation_on_call")
    on_call = models.BooleanField(default=True)
