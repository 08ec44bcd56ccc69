"""Gold checks: which references a reviewer is offered, the slot they get, and the score.

A gold check is every 1/rate-th lease; its references are read with their facts in one statement
(`candidates.gold_references`), the snippets they had and the recordings they may not hear again
left out as the queue leaves them out (otherwise refused references at the front kept every later
gold check from being served), and the score reads only the reference through the gate: the
reviewer's own transcript is the one the submit has in memory, and the read and the score are
written in the submit's own transaction.
"""
from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.utils import timezone

from quietroom.audit.models import AuditEvent
from quietroom.review import quality, queue
from quietroom.review.models import ControllerPolicy, Exposure, GoldScore, Submission, Task
from quietroom.review.submissions import submit

from .conftest import set_knobs
from .factories import make_snippets

pytestmark = pytest.mark.django_db


def _had(user, task, now):
    Exposure.objects.create(reviewer=user, task=task, snippet_id=task.snippet_id, recording_id=task.recording_id,
                            customer_key_id=task.customer_key_id, duration_seconds=task.duration_seconds,
                            given_at=now)


def test_references_of_recordings_the_reviewer_had_do_not_block_the_gold_check(
        controller, make_reviewer, make_staff, settings):
    set_knobs(settings, REVIEW_GOLD_RATE=1.0)
    lead = make_staff("quinn", "qa_lead")
    tasks = make_snippets(controller, queue.BATCH + 1, snippets_per_recording=2)
    pairs = [tasks[i:i + 2] for i in range(0, len(tasks), 2)]  # (first, second) snippet of each recording
    user = make_reviewer()
    now = timezone.now()
    for first, second in pairs:
        quality.make_gold(second.snippet, "turn on the kitchen lights", lead)
    for first, _ in pairs[:queue.BATCH]:  # the oldest BATCH references: recordings they had
        _had(user, first, now)
    task = queue.next_task(user, now)
    assert task is not None and task.is_gold, task
    assert task.snippet_id == pairs[-1][1].snippet_id and task.slot == 1
    # Where the controller allows more than one snippet of a recording, the oldest is offered.
    ControllerPolicy.objects.update_or_create(controller=controller, defaults={"allow_same_recording": True})
    other = make_reviewer("otto")
    for first, _ in pairs[:queue.BATCH]:
        _had(other, first, now)
    task = queue.next_task(other, now)
    assert task.is_gold and task.snippet_id == pairs[0][1].snippet_id and task.slot == 1


def test_a_taken_slot_number_is_skipped_not_raised(controller, make_reviewer, make_staff):
    (task,) = make_snippets(controller, 1)
    quality.make_gold(task.snippet, "turn on the kitchen lights", make_staff("quinn", "qa_lead"))
    with transaction.atomic():
        taken = Task(snippet_id=task.snippet_id, slot=0, locale=task.locale, is_gold=True,
                     recording_id=task.recording_id, controller_id=task.controller_id)
        assert queue._insert_slot(taken) is False
        assert Task.objects.filter(snippet_id=task.snippet_id).count() == 1  # the transaction still works
        free = Task(snippet_id=task.snippet_id, slot=1, locale=task.locale, is_gold=True,
                    recording_id=task.recording_id, controller_id=task.controller_id)
        assert queue._insert_slot(free) is True
    assert Task.objects.get(pk=free.pk).slot == 1


def test_a_gold_submit_reads_only_the_reference(controller, make_reviewer, make_staff, settings):
    set_knobs(settings, REVIEW_GOLD_RATE=1.0)
    (gold,) = make_snippets(controller, 1)
    quality.make_gold(gold.snippet, "turn on the kitchen lights", make_staff("quinn", "qa_lead"))
    user = make_reviewer()
    task = queue.next_task(user, timezone.now())
    assert task.is_gold
    mine = submit(user, task.pk, "  turn on the kitchen light ", "k-gold", now=timezone.now())
    score = GoldScore.objects.get()
    assert score.submission_id == mine.pk and score.reviewer_id == user.pk and score.wer == pytest.approx(0.2)
    reads = AuditEvent.objects.filter(action="transcript.read", purpose="quality")
    reference = Submission.objects.get(kind=Submission.Kind.GOLD_REFERENCE)
    assert reads.count() == 1 and reads.get().object_id == str(reference.pk)
    # Scored again (a correction's path: no text in hand, both read), the one score is updated.
    mine.refresh_from_db()
    quality.after_submission(mine)
    assert GoldScore.objects.get().pk == score.pk and AuditEvent.objects.filter(
        action="transcript.read", purpose="quality").count() == 3


@pytest.mark.django_db(transaction=True)  # real commits: is the score written in the submit's transaction?
def test_a_gold_check_is_scored_in_the_submits_own_transaction(controller, make_reviewer, make_staff, settings,
                                                               monkeypatch):
    set_knobs(settings, REVIEW_GOLD_RATE=1.0)
    (gold,) = make_snippets(controller, 1)
    quality.make_gold(gold.snippet, "turn on the kitchen lights", make_staff("quinn", "qa_lead"))
    user = make_reviewer()
    task = queue.next_task(user, timezone.now())
    seen = []
    score = quality._score_gold

    def scoring(submission, text):
        seen.append((connection.in_atomic_block, Submission.objects.filter(pk=submission.pk).exists()))
        return score(submission, text)

    monkeypatch.setattr(quality, "_score_gold", scoring)
    submit(user, task.pk, "turn on the kitchen lights", "k-gold", now=timezone.now())
    assert seen == [(True, True)] and GoldScore.objects.get().wer == 0.0
