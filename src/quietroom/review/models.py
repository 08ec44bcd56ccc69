"""Review work: tasks with leases, submissions, drafts, skips, quality and the controller's policy.

(A reviewer's flag on sensitive content is the escalation app's: `escalation.models.Flag`.)

A `Task` is one reviewer's turn at one snippet. A snippet normally has one task (slot 0); overlap
adds slots 1..k-1 and every gold check adds a slot for the reviewer it is served to, so a lease
is always single-owner and "no snippet to two reviewers" means "one task row per reviewer".
The facts the queue filters on (controller, recording, customer, region, duration) are copied
onto the task when it is created, so picking the next task reads one table even at millions
of rows.
"""
from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Task(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued"
        LEASED = "leased"
        DONE = "done"
        # Taken out of the queue for good (sensitive content flagged, snippet shredded).
        WITHDRAWN = "withdrawn"

    # Withdrawal reasons (withdrawn_reason) that are the gold checks' bookkeeping, not a decision
    # about the snippet: such a snippet may still leave in an export (privacy.outbound). Any other
    # reason (sensitive content, accidental activation, one added later) holds it back.
    BECAME_GOLD = "became gold"
    GOLD_LEASE_EXPIRED = "gold lease expired"
    GOLD_SKIPPED = "gold skipped"
    ROUTINE_WITHDRAWALS = (BECAME_GOLD, GOLD_LEASE_EXPIRED, GOLD_SKIPPED)

    class Sensitivity(models.TextChoices):
        STANDARD = "standard"
        # Only reviewers cleared for sensitive content (ReviewerClearance) may get it.
        SENSITIVE = "sensitive"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    snippet = models.ForeignKey("recordings.Snippet", on_delete=models.CASCADE, related_name="tasks")
    slot = models.PositiveSmallIntegerField(default=0)
    locale = models.CharField(max_length=16)
    priority = models.IntegerField(default=0)
    due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    is_gold = models.BooleanField(default=False)
    sensitivity = models.CharField(max_length=16, choices=Sensitivity.choices, default=Sensitivity.STANDARD)
    # The reviewer holding the lease; kept after submission as the one who did the task, cleared
    # when the task goes back to the queue. What a reviewer has had is `Exposure`'s, not this.
    lease_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_reason = models.CharField(max_length=64, blank=True)
    # Denormalised from snippet → recording at creation (see for_snippet()).
    controller = models.ForeignKey("accounts.Organisation", null=True, on_delete=models.PROTECT, related_name="+")
    recording = models.ForeignKey("recordings.Recording", null=True, on_delete=models.CASCADE, related_name="+")
    customer_key = models.ForeignKey("recordings.CustomerKey", null=True, on_delete=models.PROTECT, related_name="+")
    region = models.CharField(max_length=8, blank=True)
    duration_seconds = models.FloatField(default=0.0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["snippet", "slot"], name="review_task_one_row_per_slot")]
        indexes = [
            # The queue's one hot query: queued tasks of a locale, best first. (PostgreSQL sorts
            # NULLs last in an ascending index, matching the queue's "no due date last";
            # SQLite cannot declare NULLS LAST in an index, so it is left implicit.)
            models.Index(
                F("locale"), F("priority").desc(), F("due_at"), F("created_at"),
                name="review_task_queue_idx", condition=Q(status="queued"),
            ),
            # Expired leases are few; reclaiming them must not scan the queue.
            models.Index(fields=["lease_expires_at"], name="review_task_leased_idx", condition=Q(status="leased")),
            # A reviewer's tasks: their live lease (queue.current_lease), what they hold or did.
            models.Index(fields=["lease_owner", "recording"], name="review_task_owner_rec_idx"),
            models.Index(fields=["lease_owner", "assigned_at"], name="review_task_owner_day_idx"),
            models.Index(fields=["lease_owner", "snippet"], name="review_task_owner_snip_idx"),
            # Gold references in the order `queue._lease_gold` offers them: a few rows read, not
            # every gold snippet sorted, on each gold check.
            models.Index(fields=["created_at"], name="review_task_gold_ref_idx", condition=Q(is_gold=True, slot=0)),
        ]

    @classmethod
    def for_snippet(cls, snippet, **fields) -> "Task":
        """An unsaved task for `snippet`, with the queue's facts copied from snippet and recording.

        Only builds the row: putting a snippet into the queue (slot 0 and its overlap slots) is
        `review.queueing.queue_snippet`, an explicit step; saving a Task never has side effects.
        """
        recording = snippet.recording
        fields.setdefault("locale", snippet.locale)
        return cls(snippet=snippet, recording_id=recording.pk, controller_id=recording.controller_id,
                   customer_key_id=recording.customer_key_id, region=recording.region,
                   duration_seconds=snippet.duration_seconds, **fields)


class Submission(models.Model):
    """A reviewer's transcript and labels, the transcript encrypted under the customer's key."""

    class Kind(models.TextChoices):
        REVIEW = "review"
        GOLD_REFERENCE = "gold_reference"
        ADJUDICATION = "adjudication"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="submissions")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.REVIEW)
    # Chosen by the client per task view: a double click or a retry reuses it, so it can
    # never create a second result.
    idempotency_key = models.CharField(max_length=64, unique=True)
    # Null once destroyed (accidental activation): only the labels remain.
    transcript_ciphertext = models.BinaryField(null=True)
    wrapped_dek = models.BinaryField(null=True)
    # {"activation": "intended"|"accidental", "domain": str, "quality": str, "other_language": bool,
    #  "pii_spans": [{"start": s, "end": s}], "sensitive": category or ""} — never content.
    labels = models.JSONField(default=dict)
    submitted_at = models.DateTimeField(auto_now_add=True)
    # Set when the reviewer corrected it within the correction window (review.corrections): the
    # transcript and labels are then the corrected ones; the earlier text is not kept (the audit
    # log's "transcript.edit" event is the record that it changed, never what it said).
    corrected_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # "Your most recent submission" (the correction window): one index probe per page.
            models.Index(fields=["reviewer", "-submitted_at"], name="review_sub_reviewer_latest_idx"),
            # "Has a gold reference" (every gold check's lease asks it of the gold snippets):
            # without it PostgreSQL read every submission ever made to find the few references.
            models.Index(fields=["task"], name="review_sub_gold_ref_idx", condition=Q(kind="gold_reference")),
        ]

    @property
    def object_id(self) -> str:
        return f"transcript:{self.id}"


class Draft(models.Model):
    """An autosaved, unfinished transcript: encrypted exactly like a submitted one."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="drafts")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ciphertext = models.BinaryField(null=True)
    wrapped_dek = models.BinaryField(null=True)
    labels = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "reviewer"], name="review_draft_one_per_task")]

    @property
    def object_id(self) -> str:
        return f"draft:{self.id}"


class Skip(models.Model):
    """A reviewer passed on a task; it goes back to the queue, never to them again."""

    class Reason(models.TextChoices):
        UNCLEAR = "unclear_audio", "Audio too unclear"
        LANGUAGE = "not_my_language", "Not a language I am qualified for"
        TECHNICAL = "technical", "Technical problem (does not play)"
        UNCOMFORTABLE = "uncomfortable", "I do not want to hear this"
        OTHER = "other", "Other"

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="skips")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=32, choices=Reason.choices)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["reviewer", "task"], name="review_skip_reviewer_idx")]


class Exposure(models.Model):
    """One reviewer was given one task's snippet: what they have had, kept for good.

    Written with the lease, in the same transaction (`review.exposure.lease_with_exposure`), and never
    deleted by the room: a play is exposure whether or not it is submitted, so what a reviewer
    has had outlives a skip, an expired lease and a release, all of which clear the task's
    `lease_owner` and put it back in the queue. The queue's "had" rules (never the same snippet
    again; no other snippet of the recording unless the controller allows it) and the caps read
    these rows, not the task (docs/privacy.md, "What counts as exposure").

    Two facts are learnt later and only ever switch on: `heard_at` (the audio was first streamed
    to them, or they handed in a transcript: what the daily audio-minutes cap counts, so a
    snippet skipped before it played costs no minutes) and `excludes_recording` (a distress skip
    or a sensitive-content flag: no other snippet of that recording for this reviewer, whatever
    the controller allows). The copied facts (snippet, recording, customer, duration) are the
    task's, so the queue's checks read this table alone; a row goes only with its task
    (erasure, retention), like everything else of the customer's.
    """

    id = models.BigAutoField(primary_key=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                 db_index=False)  # every index below starts with the reviewer
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="exposures",
                             db_index=False)  # the (task, reviewer) unique index serves it
    # Copies of the task's facts, without constraints of their own: the row is deleted with its
    # task, which goes before its snippet, recording or customer does.
    snippet = models.ForeignKey("recordings.Snippet", on_delete=models.DO_NOTHING, db_constraint=False,
                                db_index=False, related_name="+")
    recording = models.ForeignKey("recordings.Recording", null=True, on_delete=models.DO_NOTHING,
                                  db_constraint=False, db_index=False, related_name="+")
    customer_key = models.ForeignKey("recordings.CustomerKey", null=True, on_delete=models.DO_NOTHING,
                                     db_constraint=False, db_index=False, related_name="+")
    duration_seconds = models.FloatField(default=0.0)
    given_at = models.DateTimeField()  # when the lease was granted
    heard_at = models.DateTimeField(null=True, blank=True)
    excludes_recording = models.BooleanField(default=False)

    class Meta:
        constraints = [
            # A reviewer is given a task once: a second lease of it would be a second exposure
            # the rules above exist to prevent.
            models.UniqueConstraint(fields=["task", "reviewer"], name="review_exposure_once_per_task"),
        ]
        indexes = [
            models.Index(fields=["reviewer", "snippet"], name="review_exposure_snippet_idx"),
            models.Index(fields=["reviewer", "recording"], name="review_exposure_recording_idx"),
            models.Index(fields=["reviewer", "given_at"], name="review_exposure_day_idx"),
            models.Index(fields=["reviewer", "customer_key", "given_at"], name="review_exposure_customer_idx"),
        ]


class ControllerPolicy(models.Model):
    """A controller's review rules. Missing numbers fall back to settings.QUIETROOM."""

    controller = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE, related_name="review_policy")
    # Countries (ISO 3166-1 alpha-2) the controller treats as adequate for UK and EU data.
    adequate_countries = models.JSONField(default=list, blank=True)
    # Optional narrowing per customer region: {"GB": ["GB"], "US": ["US", "GB"]}. For UK and
    # EU regions it can only narrow the default (UK, EU/EEA, adequate); it never widens it.
    residency_matrix = models.JSONField(default=dict, blank=True)
    daily_cap_minutes = models.FloatField(null=True, blank=True)
    max_per_customer_30d = models.PositiveIntegerField(null=True, blank=True)
    allow_same_recording = models.BooleanField(default=False)
    gold_rate = models.FloatField(null=True, blank=True)
    overlap_fraction = models.FloatField(null=True, blank=True)
    overlap_k = models.PositiveSmallIntegerField(null=True, blank=True)


class ReviewerClearance(models.Model):
    """What a reviewer is cleared for beyond the default (sensitive content)."""

    reviewer = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="review_clearance")
    sensitive_content = models.BooleanField(default=False)


class GoldScore(models.Model):
    """A reviewer's transcript of a gold snippet against its known transcript."""

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="gold_score")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    wer = models.FloatField()
    at = models.DateTimeField(auto_now_add=True)


class Agreement(models.Model):
    """Word error rate between the reviewers of an overlapped snippet; high WER → adjudication."""

    snippet = models.OneToOneField("recordings.Snippet", on_delete=models.CASCADE, related_name="agreement")
    wer = models.FloatField()
    reviewers = models.PositiveSmallIntegerField()
    needs_adjudication = models.BooleanField(default=False)
    adjudicated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    adjudicated_at = models.DateTimeField(null=True, blank=True)
    at = models.DateTimeField(auto_now_add=True)


class Guidelines(models.Model):
    """Transcription conventions of one organisation, shown to its reviewers."""

    organisation = models.OneToOneField("accounts.Organisation", on_delete=models.CASCADE, related_name="guidelines")
    body = models.TextField()
    updated_at = models.DateTimeField(auto_now=True)
