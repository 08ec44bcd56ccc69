"""The room shows the reviewer's day and, when nothing is handed out, why (issue 16)."""
from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from quietroom.review import queue
from quietroom.review.submissions import submit

from .factories import make_snippets

pytestmark = pytest.mark.django_db


def room_client(user) -> Client:
    client = Client(REMOTE_ADDR="127.0.0.1")
    client.force_login(user)
    return client


def test_the_room_counts_the_day(controller, make_reviewer):
    rita = make_reviewer()
    make_snippets(controller, 3, seconds=3.0)
    now = timezone.now()
    task = queue.next_task(rita, now, address="127.0.0.1")
    submit(rita, task.pk, "hello", "k-1", now=now)
    page = room_client(rita).get("/room/").content.decode()
    assert "Today: 1 done · 0.1 of 240 audio minutes heard · 2 snippets waiting in your languages" in page


def test_an_empty_queue_says_why(controller, make_reviewer, settings):
    rita = make_reviewer(locales=("fr-FR",))
    make_snippets(controller, 1)  # en-US only
    page = room_client(rita).post("/room/next/").content.decode()
    assert "Nothing is waiting in your languages (fr-FR)" in page

    bob = make_reviewer("bob")
    task = queue.next_task(bob, timezone.now(), address="127.0.0.1")
    submit(bob, task.pk, "hello", "k-2", now=timezone.now())
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_DAILY_CAP_MINUTES": 0.01}
    make_snippets(controller, 1)
    assert "limit of 0.01 audio minutes" in room_client(bob).post("/room/next/").content.decode()


def test_work_the_policy_keeps_back_is_explained_not_hidden(controller, make_reviewer):
    rita = make_reviewer()
    make_snippets(controller, 1, snippets_per_recording=2)
    now = timezone.now()
    task = queue.next_task(rita, now, address="127.0.0.1")
    submit(rita, task.pk, "hello", "k-3", now=now)
    page = room_client(rita).post("/room/next/").content.decode()
    assert "recordings you already heard" in page and "1 snippet waiting" in page


def test_back_after_a_submit_says_it_was_submitted_not_found(controller, make_reviewer):
    rita = make_reviewer()
    make_snippets(controller, 1)
    now = timezone.now()
    task = queue.next_task(rita, now, address="127.0.0.1")
    submit(rita, task.pk, "hello", "k-back", now=now)
    client = room_client(rita)
    response = client.get(f"/room/task/{task.pk}/", follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0] == "/room/"
    assert "You have already submitted that snippet." in response.content.decode()
    # Someone else's task, or one never held, is still not found.
    other = make_reviewer("olga")
    assert room_client(other).get(f"/room/task/{task.pk}/").status_code == 404


def test_waiting_counts_snippets_not_overlap_slots(controller, make_reviewer):
    from quietroom.review.models import Task

    rita = make_reviewer()
    tasks = make_snippets(controller, 2)
    Task.for_snippet(tasks[0].snippet, slot=1, locale="en-US").save(force_insert=True)  # an overlap slot
    assert Task.objects.filter(status=Task.Status.QUEUED).count() == 3
    assert "2 snippets waiting in your languages" in room_client(rita).get("/room/").content.decode()
