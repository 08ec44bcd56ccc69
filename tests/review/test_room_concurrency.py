"""Eight reviewers hammering next/submit at once on PostgreSQL: no snippet slot is handed out
twice, no reviewer hears a snippet twice, no submission is lost or duplicated."""
from __future__ import annotations

import threading
import uuid
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from quietroom.audit.models import AuditEvent
from quietroom.review import queue
from quietroom.review.models import Submission, Task
from quietroom.review.submissions import submit

from .conftest import set_knobs
from .factories import make_snippets

pytestmark = pytest.mark.django_db(transaction=True)
REVIEWERS = 8


@pytest.fixture
def postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED concurrency is exercised on PostgreSQL (run with DATABASE_URL=postgres://...)")


def test_eight_concurrent_reviewers_never_share_a_task_or_lose_a_submission(postgres_only, controller, make_reviewer, settings):
    set_knobs(settings, REVIEW_OVERLAP_FRACTION=0.25, REVIEW_OVERLAP_K=2)
    tasks = make_snippets(controller, 64, seconds=0.5)
    total = Task.objects.count()
    overlapped = {s for s, n in Counter(Task.objects.values_list("snippet_id", flat=True)).items() if n > 1}
    assert total == 64 + len(overlapped) and overlapped  # some overlap, so k reviewers are legitimate
    reviewers = [make_reviewer(f"r{i}") for i in range(REVIEWERS)]
    errors, done = [], Counter()
    start = threading.Barrier(REVIEWERS)

    def work(user):
        try:
            start.wait()
            while True:
                task = queue.next_task(user, timezone.now())
                if task is None:
                    return
                key = uuid.uuid4().hex
                first = submit(user, task.pk, f"text {task.pk}", key, now=timezone.now())
                again = submit(user, task.pk, f"text {task.pk}", key, now=timezone.now())  # a retry
                assert first.pk == again.pk
                done[user.username] += 1
        except Exception as exc:  # noqa: BLE001 - reported below with the thread's name
            errors.append(f"{user.username}: {exc!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(u,)) for u in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sum(done.values()) == total and len([n for n in done.values() if n]) > 1
    assigned = Counter(AuditEvent.objects.filter(action="task.assign").values_list("details__task", flat=True))
    assert len(assigned) == total and set(assigned.values()) == {1}  # every slot handed out exactly once
    per_task = Counter(Submission.objects.values_list("task_id", flat=True))
    assert len(per_task) == total and set(per_task.values()) == {1}  # none lost, none doubled
    per_snippet = Counter(Task.objects.values_list("snippet_id", "lease_owner_id"))
    assert set(per_snippet.values()) == {1}  # no reviewer got one snippet twice
    reviewers_per_snippet = Counter(Task.objects.values_list("snippet_id", flat=True))
    assert {s for s, n in reviewers_per_snippet.items() if n > 1} == overlapped
    assert {t.snippet_id for t in tasks} == set(reviewers_per_snippet)


def test_two_reviewers_racing_with_one_idempotency_key_store_one_and_refuse_the_other(postgres_only, controller,
                                                                                        make_reviewer):
    # The submit inserts its row and locks the audit head in one statement (submissions._store):
    # a key inserted by one transaction must make the other fail cleanly, never deadlock.
    make_snippets(controller, 24, seconds=0.5)
    first, second = make_reviewer("ra"), make_reviewer("rb")
    for _ in range(8):
        key, outcomes = uuid.uuid4().hex, {}
        held = {user: queue.next_task(user, timezone.now()) for user in (first, second)}
        start = threading.Barrier(2)

        def hand_in(user):
            try:
                start.wait()
                outcomes[user.username] = submit(user, held[user].pk, "text", key, now=timezone.now())
            except Exception as exc:  # noqa: BLE001 - the outcome under test
                outcomes[user.username] = exc
            finally:
                connection.close()

        threads = [threading.Thread(target=hand_in, args=(u,)) for u in (first, second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        stored = [o for o in outcomes.values() if isinstance(o, Submission)]
        refused = [o for o in outcomes.values() if not isinstance(o, Submission)]
        assert len(stored) == 1 and len(refused) == 1, outcomes
        assert "idempotency key belongs to another submission" in str(refused[0]), refused
        assert Submission.objects.filter(idempotency_key=key).count() == 1
        loser = second if outcomes["rb"] is refused[0] else first
        Task.objects.filter(pk=held[loser].pk).update(status=Task.Status.QUEUED, lease_owner=None,
                                                      lease_expires_at=None, assigned_at=None)
