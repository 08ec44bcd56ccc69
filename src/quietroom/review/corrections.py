"""Correcting one's last submission: a short window after a submit to fix a slip of the keys.

A reviewer who notices a typo just after pressing Submit may reopen their most recent
submission and save a corrected transcript and labels, for `REVIEW_CORRECTION_MINUTES` after
handing it in (settings.QUIETROOM; 0 turns corrections off). Every rule of the room still holds:

- who and what: `eligibility.correction_reasons` (their own latest review submission, within
  the window, from their site, with their standing; not a gold reference or an adjudication,
  not an accidental activation, not a sensitive-content flag);
- the snippet: `privacy.outbound`, the rule every exit asks: once flagged, held, withdrawn or
  erased, nothing of it is reopened or rewritten.

Reading the transcript back is a content read, so it goes through the gate (purpose
"correction", this module's `correction_policy`, audited as `transcript.reopen`). Saving is
audited as `transcript.edit` with the submission's id, never its words. The earlier text is
not kept: the transcript is sealed again under the customer's key with a fresh data key, and the
audit event is the record that it changed. The room plays no audio here: the lease ended with
the submit, and another play would be another access in the customer's report.

What else reads submissions: gold scores and agreement are measured again
(`quality.after_submission`), so a typo that put a snippet up for adjudication takes it off
again; an export is rendered afresh at every download, so a later download carries the
correction, while a file already written keeps the text it was written with.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Subquery

from quietroom import content, gate
from quietroom.compiled import INT_STAND_IN, Compiled, int_param
from quietroom.accounts.access import working_site
from quietroom.audit.log import Actor, lock_for_append, record
from quietroom.decisions import Decision, Reason, Refusal
from quietroom.privacy import outbound
from quietroom.recordings.models import Snippet

from . import quality
from .eligibility import correction_reasons
from .models import Submission, Task
from .submissions import SubmissionRefused, act_on_labels, checked_work, customer_key_of, locked_task, shreds

EDIT = "transcript.edit"
# The labels a correction may change; personal-data spans are kept as handed in (the correction
# page has no audio to mark them against).
EDITABLE_LABELS = ("activation", "domain", "quality", "other_language", "sensitive")


class NoSuchSubmission(SubmissionRefused):
    def __init__(self):
        super().__init__(["no such submission"])


def window() -> timedelta:
    """How long after a submit it may be corrected (zero: corrections are off)."""
    return timedelta(minutes=max(0.0, float(settings.QUIETROOM["REVIEW_CORRECTION_MINUTES"])))


def _latest_id(user):
    return (Submission.objects.filter(reviewer=user).order_by("-submitted_at")
            .values_list("pk", flat=True).first())


def refusals(user, submission: Submission, now: datetime, address: str | None) -> list[Reason]:
    """Why `user` may not reopen or correct `submission` now (empty: they may)."""
    reasons = correction_reasons(user, working_site(user, address), submission, now, window=window(),
                                 latest=_latest_id(user) == submission.pk)
    return [*reasons, *outbound.held_back_reasons(submission.task.snippet_id)]


def correction_policy(read) -> Decision:
    """The gate's question before a reviewer's own submission is reopened (purpose "correction")."""
    if read.user is None or read.now is None:
        return Decision.of([Reason(Refusal.NO_PERMISSION, "only the reviewer who submitted it reopens a transcript")])
    return Decision.of(refusals(read.user, read.subject, read.now, read.address))


_SUBMISSION_FIELDS = [f.attname for f in Submission._meta.concrete_fields]
# What the rule reads of the task (eligibility.standing), in the model's field order (from_db's).
_TASK_FIELDS = [f.attname for f in Task._meta.concrete_fields if f.attname in ("snippet_id", "locale", "status")]
# The latest submission is picked first (the reviewer index, one row) and the rule is read for
# that row alone: with the rule in the same SELECT, PostgreSQL could evaluate it for every
# submission of the reviewer before sorting them (18 ms per page after a few thousand
# submissions on the review bench, bench/README.md).
_latest_with_rule = Compiled(
    lambda user_id: (Submission.objects.filter(pk=Subquery(
        Submission.objects.filter(reviewer_id=user_id).order_by("-submitted_at").values("pk")[:1]))
                     .annotate(held_back=outbound.held_back_annotation("task__snippet__"))
                     .values_list(*_SUBMISSION_FIELDS, *(f"task__{f}" for f in _TASK_FIELDS), "held_back")[:1]),
    stand_ins=[INT_STAND_IN], prepare=[int_param])


def offer(user, now: datetime, address: str | None) -> Submission | None:
    """The submission the room offers to correct ("Correct your last submission"), if any.

    Only while it could be opened: the reviewer's latest submission read in one statement
    with whether its snippet has since left review (`privacy.outbound`'s rule, compiled once per
    process: every room and task page asks this); the rest of the rule needs no database.
    Reopening it asks the full rule again through the gate.
    """
    length = window()
    if length <= timedelta(0):
        return None
    rows = _latest_with_rule.rows(user.pk)
    if not rows:
        return None
    row, n = rows[0], len(_SUBMISSION_FIELDS)
    last = Submission.from_db(None, _SUBMISSION_FIELDS, row[:n])
    last._state.fields_cache["task"] = Task.from_db(None, ["id", *_TASK_FIELDS], [last.task_id, *row[n:n + 3]])
    if now >= last.submitted_at + length:
        return None
    # It is the latest by construction: the rule's "only your most recent submission" holds.
    reasons = correction_reasons(user, working_site(user, address), last, now, window=length, latest=True)
    if reasons or outbound.refusals_for(row[-1]):
        return None
    return last


def closes_at(submission: Submission) -> datetime:
    return submission.submitted_at + window()


def _submission(submission_id, *, lock: bool = False) -> Submission:
    rows = Submission.objects.select_related("task__snippet__recording__customer_key")
    if lock:
        rows = rows.select_for_update(of=("self",))
    try:
        return rows.get(pk=submission_id)
    except (Submission.DoesNotExist, ValueError):
        raise NoSuchSubmission() from None


def reopen(user, submission_id, *, now: datetime, address: str | None = None) -> tuple[Submission, str]:
    """The submission and its transcript, read back through the gate (refusals audited there)."""
    submission = _submission(submission_id)
    return submission, gate.own_transcript_for_reviewer(user, submission, now=now, address=address)


def correct(user, submission_id, transcript: str, labels: dict, *, now: datetime, address: str = "",
            sensitive_note: str = "") -> Submission:
    """Save a corrected transcript and labels over the reviewer's last submission, or refuse
    (audited) naming every reason.

    The rules are checked with the rows they are about locked, in the order a submit that
    shreds the same snippet takes them (its task, the audit log, the snippet, every submission
    of it): whichever commits first, the other then sees it, so a correction never writes a
    transcript back after another reviewer's accidental activation destroyed them all, and
    the two never deadlock.
    """
    actor = Actor.for_user(user, address)
    found = _submission(submission_id)
    kept = found.labels or {}
    form = {name: labels.get(name, "") for name in EDITABLE_LABELS}
    cleaned = checked_work(transcript, {**form, "pii_spans": kept.get("pii_spans") or []}, sensitive_note)
    with transaction.atomic():
        task = locked_task(found.task_id)
        lock_for_append()  # before the snippet and the submission: a shredding submit's order
        task.snippet = (Snippet.objects.select_for_update(of=("self",)).select_related("recording__customer_key")
                        .get(pk=task.snippet_id))
        submission = _submission(submission_id, lock=True)
        submission.task = task
        reasons = refusals(user, submission, now, address)
        if not reasons:
            if shreds(task, cleaned):
                submission.transcript_ciphertext = submission.wrapped_dek = None
            else:
                content.seal_transcript(submission, customer_key_of(task), transcript.strip())
            submission.labels = cleaned
            submission.corrected_at = now
            submission.save(update_fields=["transcript_ciphertext", "wrapped_dek", "labels", "corrected_at"])
            record(actor, EDIT, object_type="snippet", object_id=task.snippet_id,
                   customer=customer_key_of(task).pseudonym, purpose="correction",
                   details={"submission": str(submission.id), "labels": sorted(k for k, v in cleaned.items() if v),
                            "labels_changed": sorted(k for k in EDITABLE_LABELS if cleaned[k] != kept.get(k, ""))})
            act_on_labels(user, task, cleaned, actor, note=sensitive_note, now=now)
    if reasons:
        # Outside the transaction above, so the record survives the refusal.
        record(actor, EDIT, outcome="denied", object_type="snippet", object_id=found.task.snippet_id,
               customer=customer_key_of(found.task).pseudonym, purpose="correction",
               details={"submission": str(found.id), "reasons": reasons})
        raise SubmissionRefused(reasons)
    if submission.transcript_ciphertext is not None:
        quality.after_submission(submission)  # a gold score or an agreement measured on the old text
    return submission
