"""Submitting, skipping and autosaving: idempotent, policy-checked, encrypted, audited.

Two labels have consequences at once: an accidental activation confirmed by the reviewer
crypto-shreds the snippet (audio, hypothesis, every transcript and draft of it; only the labels
stay), and sensitive content withdraws the snippet from the queue and records an escalation.
"""
from __future__ import annotations

from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL

from django.conf import settings

from quietroom import content, gate
from quietroom.compiled import (INT_STAND_IN, UUID_STAND_IN, Compiled, insert_statement, insert_values, int_param,
                                uuid_param)
from quietroom.accounts.access import working_site
from quietroom.audit.log import LOCK_HEAD_SQL, Actor, record
from quietroom.escalation import cases as escalation_cases
from quietroom.escalation.models import Flag

from . import exposure, quality
from .eligibility import lease_reasons, standing
from .labels import LabelError, clean_labels
from .models import Draft, Skip, Submission, Task


def max_transcript_chars() -> int:
    """The longest transcript or draft accepted (settings.QUIETROOM["REVIEW_DRAFT_MAX_CHARS"])."""
    return int(settings.QUIETROOM["REVIEW_DRAFT_MAX_CHARS"])


def _too_long(text: str) -> list[str]:
    limit = max_transcript_chars()
    return [f"transcript longer than {limit} characters"] if len(text) > limit else []


class SubmissionRefused(Exception):
    def __init__(self, reasons):
        self.reasons = tuple(reasons)
        super().__init__("; ".join(self.reasons))


def locked_task(task_id) -> Task:
    # The task carries its customer's key row (denormalised at creation): one join, not three.
    return Task.objects.select_for_update(of=("self",)).select_related("customer_key").get(pk=task_id)


def _locked_for_submit_query(task_id, user_id):
    table = connection.ops.quote_name(Task._meta.db_table)
    return (Task.objects.select_for_update(of=("self",)).select_related("customer_key").annotate(
        has_draft=RawSQL(f"EXISTS (SELECT 1 FROM {connection.ops.quote_name(Draft._meta.db_table)} d "
                         f"WHERE d.task_id = {table}.id AND d.reviewer_id = %s)", (user_id,), BooleanField()),
        overlapped=RawSQL(f"EXISTS (SELECT 1 FROM {table} o WHERE o.snippet_id = {table}.snippet_id "
                          f"AND o.id <> {table}.id AND NOT o.is_gold)", (), BooleanField()),
    ).filter(pk=task_id)[:1])


# Every submit runs it: compiled once per process (quietroom/compiled.py), like the room's task loads.
_locked_submit = Compiled(_locked_for_submit_query, stand_ins=[UUID_STAND_IN, INT_STAND_IN],
                          prepare=[uuid_param, int_param])


def _locked_for_submit(task_id, user) -> Task:
    """`locked_task` with two facts a submit needs, read under the task's lock in the same
    statement: whether this reviewer has a draft of it (`has_draft`: drafts are saved under the
    same lock, so the answer holds until the commit) and whether the snippet has other review
    slots (`overlapped`: slots are made when the snippet is queued, so a snippet without them
    needs no agreement check after the submit)."""
    task = _locked_submit.first(task_id, user.pk)
    if task is None:
        raise Task.DoesNotExist
    return task


_INSERT_SUBMISSION, _SUBMISSION_FIELDS = insert_statement(Submission)
_TASK_DONE = f"UPDATE {Task._meta.db_table} SET status = %s, lease_expires_at = NULL WHERE id = %s"


def _store(submission: Submission, task: Task, user, now) -> tuple | None:
    """Insert the submission, end the lease and mark the snippet heard (a transcript handed in:
    its minutes count), in the caller's transaction: on PostgreSQL one statement, which also
    locks the audit log's head for the submit's event (returned for `record(locked_head=...)`;
    None on SQLite). The busiest write of the room, so written out; a repeated idempotency key
    fails the INSERT's unique constraint as `save` would (IntegrityError, see `submit`).

    Holding the head while inserting cannot deadlock on the idempotency key: every reviewer's
    submission is inserted by this statement, which takes the head too, so whoever inserted a
    key first already holds the head, and the task row was locked before either."""
    params = [insert_values(submission, _SUBMISSION_FIELDS),
              [Task.Status.DONE, Task._meta.pk.get_db_prep_value(task.pk, connection)],
              exposure.heard_params(user, task, now)]
    statements = (_INSERT_SUBMISSION, _TASK_DONE, exposure.MARK_HEARD)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"WITH stored AS ({statements[0]}), done AS ({statements[1]}), heard AS ({statements[2]}) "
                           f"{LOCK_HEAD_SQL}", [value for part in params for value in part])
            head = cursor.fetchone()
        else:  # SQLite: no INSERT or UPDATE inside WITH; local calls cost next to nothing
            for statement, values in zip(statements, params):
                cursor.execute(statement, values)
            head = None
    submission._state.adding, submission._state.db = False, connection.alias
    task.status, task.lease_expires_at = Task.Status.DONE, None
    return head


def customer_key_of(task: Task):
    return task.customer_key if task.customer_key_id else task.snippet.recording.customer_key


def _hand_in_reasons(user, task, now, address) -> list[str]:
    """Why `user` may not hand in work on `task` now: their standing, and a live lease of theirs."""
    return standing(user, working_site(user, address), task, now, needs_lease=True)


def _withdraw_others(task: Task, reason: str) -> None:
    Task.objects.filter(snippet_id=task.snippet_id, status__in=[Task.Status.QUEUED, Task.Status.LEASED]) \
        .exclude(pk=task.pk).update(status=Task.Status.WITHDRAWN, withdrawn_reason=reason, lease_expires_at=None)


def _shred_for_accidental_activation(task: Task, actor: Actor) -> None:
    snippet = task.snippet
    content.shred_snippet(snippet)
    Submission.objects.filter(task__snippet_id=snippet.pk).update(transcript_ciphertext=None, wrapped_dek=None)
    Draft.objects.filter(task__snippet_id=snippet.pk).delete()
    _withdraw_others(task, "accidental activation")
    record(actor, "snippet.shred", object_type="snippet", object_id=snippet.pk,
           customer=snippet.recording.customer_key.pseudonym, purpose="accidental_activation")


def checked_work(transcript: str, labels: dict | None, sensitive_note: str) -> dict:
    """The clean labels of a transcript about to be handed in (or corrected), or SubmissionRefused
    naming every problem: too long, a bad label, a bad note, a note without a category."""
    if _too_long(transcript):
        raise SubmissionRefused(_too_long(transcript))
    try:
        labels = clean_labels(labels or {})
    except LabelError as bad:
        raise SubmissionRefused(bad.problems) from None
    if escalation_cases.note_problems(sensitive_note):
        raise SubmissionRefused(escalation_cases.note_problems(sensitive_note))
    if sensitive_note.strip() and not labels.get("sensitive"):
        raise SubmissionRefused(["a note for the escalation team needs a sensitive-content category"])
    return labels


def shreds(task: Task, labels: dict) -> bool:
    """An accidental activation destroys the snippet (a gold check's is only a label)."""
    return labels.get("activation") == "accidental" and not task.is_gold


def act_on_labels(user, task: Task, labels: dict, actor: Actor, *, note: str, now) -> None:
    """The two labels with consequences, inside the caller's transaction (task row locked):
    an accidental activation shreds the snippet; sensitive content opens an escalation case."""
    if shreds(task, labels):
        _shred_for_accidental_activation(task, actor)
    elif labels.get("sensitive"):
        # Withdraws the snippet from every queue and lease, seals the note, audits
        # "escalation.created" and e-mails on-call staff after commit.
        flag = Flag.objects.create(snippet=task.snippet, reviewer=user, category=labels["sensitive"])
        exposure.exclude_recording(user, task)  # none of this recording for them again
        escalation_cases.open_case(flag, task, actor, note=note, now=now)


def submit(user, task_id, transcript: str, idempotency_key: str, *, now, address: str = "",
           labels: dict | None = None, sensitive_note: str = "") -> Submission:
    """Store the reviewer's result once; a repeat with the same key returns the first.

    No lookup of the key first (this is the busiest write): a repeat finds its task done and
    gets the stored result (see the end), and a key used by someone else fails the unique
    constraint.
    """
    if not idempotency_key or len(idempotency_key) > 64:
        raise SubmissionRefused(["missing or malformed idempotency key"])
    labels = checked_work(transcript, labels, sensitive_note)
    text = transcript.strip()  # what is sealed, and what a gold check is scored on
    actor = Actor.for_user(user, address)
    try:
        with transaction.atomic():
            task = _locked_for_submit(task_id, user)
            customer_key = customer_key_of(task)
            reasons = _hand_in_reasons(user, task, now, address)
            if not reasons:
                submission = Submission(task=task, reviewer=user, idempotency_key=idempotency_key, labels=labels)
                if not shreds(task, labels):
                    content.seal_transcript(submission, customer_key, text)
                head = _store(submission, task, user, now)
                if task.has_draft:
                    Draft.objects.filter(task=task, reviewer=user).delete()
                record(actor, "transcript.submit", object_type="snippet", object_id=task.snippet_id,
                       customer=customer_key.pseudonym, purpose="transcription",
                       details={"submission": str(submission.id), "labels": sorted(k for k, v in labels.items() if v)},
                       locked_head=head)
                act_on_labels(user, task, labels, actor, note=sensitive_note, now=now)
                if task.is_gold:
                    # Scored in this transaction: the audited read of the reference commits with
                    # the submission (one durable commit, where scoring after it cost two more).
                    quality.after_submission(submission, text=text)
    except IntegrityError:
        # The key is taken: by a concurrent retry of this reviewer (return its result) or by
        # someone else's submission (refuse; never reveal or touch theirs).
        existing = Submission.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        if existing.reviewer_id != user.id:
            raise SubmissionRefused(["idempotency key belongs to another submission"]) from None
        return existing
    except Task.DoesNotExist:
        raise SubmissionRefused(["no such snippet"]) from None
    if not reasons:
        if not task.is_gold:
            quality.after_submission(submission, overlapped=task.overlapped)
        submission.stored_now = True  # this call ended the lease (a repeat returns the first, without it)
        return submission
    # A double click: the first request held the row lock, stored the result and ended the
    # lease while this one waited. Same key, same answer.
    earlier = Submission.objects.filter(idempotency_key=idempotency_key, reviewer=user).first()
    if earlier is not None:
        return earlier
    # Refusals are audited outside the transaction above, so the record survives the refusal.
    record(actor, "transcript.submit", outcome="denied", object_type="snippet", object_id=task.snippet_id,
           customer=customer_key.pseudonym, details={"reasons": reasons})
    raise SubmissionRefused(reasons)


def skip(user, task_id, reason: str, *, now, address: str = "") -> Skip:
    """Pass on a snippet with a reason: it returns to the queue for others, never to this reviewer.

    The lease's exposure stays (its snippet, and its recording unless the controller allows
    more, are had); "I do not want to hear this" rules out the whole recording for them, even
    where the controller allows more than one snippet of it.
    """
    if reason not in Skip.Reason.values:
        raise SubmissionRefused([f"skip reason must be one of: {', '.join(Skip.Reason.values)}"])
    with transaction.atomic():
        try:
            task = locked_task(task_id)
        except Task.DoesNotExist:
            raise SubmissionRefused(["no such snippet"]) from None
        refusals = lease_reasons(user, task, now)
        if refusals:
            raise SubmissionRefused(refusals)
        skipped = Skip.objects.create(task=task, reviewer=user, reason=reason)
        if reason == Skip.Reason.UNCOMFORTABLE:
            exposure.exclude_recording(user, task)
        Draft.objects.filter(task=task, reviewer=user).delete()
        if task.is_gold:
            task.status, task.withdrawn_reason = Task.Status.WITHDRAWN, Task.GOLD_SKIPPED
        else:
            task.status, task.lease_owner, task.assigned_at = Task.Status.QUEUED, None, None
        task.lease_expires_at = None
        task.save(update_fields=["status", "lease_owner", "assigned_at", "lease_expires_at", "withdrawn_reason"])
        record(Actor.for_user(user, address), "task.skip", object_type="snippet", object_id=task.snippet_id,
               customer=customer_key_of(task).pseudonym, purpose="transcription", details={"reason": reason})
    return skipped


def save_draft(user, task_id, text: str, labels: dict, *, now, address: str = "") -> Draft:
    """Autosave: the draft is sealed under the customer's key, only while the lease is held."""
    if _too_long(text):
        raise SubmissionRefused(_too_long(text))
    try:
        labels = clean_labels(labels or {})
    except LabelError as bad:
        raise SubmissionRefused(bad.problems) from None
    with transaction.atomic():
        try:
            task = locked_task(task_id)
        except Task.DoesNotExist:
            raise SubmissionRefused(["no such snippet"]) from None
        reasons = _hand_in_reasons(user, task, now, address)
        if reasons:
            raise SubmissionRefused(reasons)
        draft = Draft.objects.filter(task=task, reviewer=user).first() or Draft(task=task, reviewer=user)
        content.seal_draft(draft, customer_key_of(task), text)
        draft.labels = labels
        draft.save()
    return draft


def load_draft(user, task, *, now, address: str = "") -> tuple[str, dict] | None:
    draft = Draft.objects.filter(task=task, reviewer=user).first()
    if draft is None:
        return None
    draft.task = task  # the policy reads the draft's task; this one is already loaded
    return gate.draft_for_reviewer(user, task, draft, now=now, address=address), draft.labels
