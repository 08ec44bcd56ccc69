"""Exposure (issue 15): a snippet a reviewer was given stays had, submitted or not.

A skip, an expired lease and a release put the task back in the queue; none of them may give
the reviewer another snippet of the same recording (unless the controller allows it), and a
distress skip or a sensitive flag rules out the whole recording whatever the controller allows.
"""
from __future__ import annotations

import importlib
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from quietroom.decisions import Refusal
from quietroom.escalation.models import SnippetCare
from quietroom.review import policy, queue
from quietroom.review.models import ControllerPolicy, Skip, Task
from quietroom.review.submissions import skip, submit

from .conftest import set_knobs
from .factories import make_snippets

pytestmark = pytest.mark.django_db


def _after_the_lease(now):
    return now + timedelta(seconds=django_settings.QUIETROOM["LEASE_SECONDS"] + 1)


def test_a_skipped_snippet_still_counts_as_having_had_its_recording(controller, make_reviewer):
    make_snippets(controller, 1, snippets_per_recording=3)
    user, other = make_reviewer(), make_reviewer("otto")
    first = queue.next_task(user, timezone.now())
    skip(user, first.pk, Skip.Reason.UNCLEAR, now=timezone.now())
    # The rest of the recording is not offered to them: they had a snippet of it ...
    assert queue.next_task(user, timezone.now()) is None
    why = policy.decide_for(user, Task.objects.get(pk=first.pk), timezone.now())
    assert Refusal.HAD_SNIPPET in why.codes
    # ... while others may have it, the skipped snippet included.
    assert queue.next_task(other, timezone.now()).recording_id == first.recording_id


def test_a_distress_skip_rules_out_the_whole_recording_even_where_the_controller_allows_more(
        controller, make_reviewer):
    ControllerPolicy.objects.create(controller=controller, allow_same_recording=True)
    tasks = make_snippets(controller, 1, snippets_per_recording=3)
    SnippetCare.objects.create(snippet_id=tasks[0].snippet_id, score=1.0, warn=True, categories=["violence_abuse"])
    user, other = make_reviewer(), make_reviewer("otto")
    first = queue.next_task(user, timezone.now())
    assert first.pk == tasks[0].pk
    skip(user, first.pk, Skip.Reason.UNCOMFORTABLE, now=timezone.now())
    assert queue.next_task(user, timezone.now()) is None
    sibling = Task.objects.get(pk=tasks[1].pk)
    assert policy.decide_for(user, sibling, timezone.now()).codes == {Refusal.DECLINED_RECORDING}
    # Only this reviewer, only this recording.
    assert queue.next_task(other, timezone.now()) is not None
    make_snippets(controller, 1)
    assert queue.next_task(user, timezone.now()) is not None


def test_an_ordinary_skip_leaves_the_rest_of_the_recording_to_a_controller_that_allows_it(controller, make_reviewer):
    ControllerPolicy.objects.create(controller=controller, allow_same_recording=True)
    tasks = make_snippets(controller, 1, snippets_per_recording=2)
    user = make_reviewer()
    first = queue.next_task(user, timezone.now())
    skip(user, first.pk, Skip.Reason.TECHNICAL, now=timezone.now())
    assert queue.next_task(user, timezone.now()).pk == tasks[1].pk


def test_a_sensitive_flag_rules_out_the_whole_recording_even_where_the_controller_allows_more(
        controller, make_reviewer):
    ControllerPolicy.objects.create(controller=controller, allow_same_recording=True)
    make_snippets(controller, 1, snippets_per_recording=3)
    user = make_reviewer()
    first = queue.next_task(user, timezone.now())
    submit(user, first.pk, "words", "k1", now=timezone.now(), labels={"sensitive": "violence_abuse"})
    assert queue.next_task(user, timezone.now()) is None


def test_an_expired_reclaimed_lease_still_counts_as_exposure(controller, make_reviewer):
    ControllerPolicy.objects.create(controller=controller, max_per_customer_30d=2)
    tasks = make_snippets(controller, 3, snippets_per_recording=2, customers=["one-customer"])
    user = make_reviewer()
    now = timezone.now()
    first = queue.next_task(user, now)
    later = _after_the_lease(now)
    assert queue.reclaim_expired(later) == 1
    reclaimed = Task.objects.get(pk=first.pk)
    assert reclaimed.status == "queued" and reclaimed.lease_owner_id is None
    # Neither the snippet nor its sibling comes back to them; another recording does.
    second = queue.next_task(user, later)
    assert second is not None and second.recording_id != first.recording_id
    assert policy.decide_for(user, reclaimed, later).codes >= {Refusal.HAD_SNIPPET}
    # And it counted against the customer: two snippets given (one expired) is the cap.
    submit(user, second.pk, "x", "k1", now=later)
    assert queue.next_task(user, later) is None
    third_recording = {t.recording_id for t in tasks} - {first.recording_id, second.recording_id}
    (third,) = Task.objects.filter(recording_id__in=third_recording, snippet__index=0)
    assert Refusal.CUSTOMER_CAP in policy.decide_for(user, third, later).codes


def test_a_released_snippet_is_not_offered_again_but_costs_no_audio_minutes(controller, make_reviewer, settings):
    set_knobs(settings, CARE_DISTRESS_DAILY_CAP=1)
    ControllerPolicy.objects.create(controller=controller, daily_cap_minutes=0.05)  # 3 s of audio a day
    distressing, unscored = make_snippets(controller, 2, seconds=1.5)
    SnippetCare.objects.create(snippet_id=distressing.snippet_id, score=1.0, warn=True, categories=["threat"])
    user = make_reviewer()
    now = timezone.now()
    assert queue.next_task(user, now).pk == distressing.pk
    submit(user, distressing.pk, "x", "k1", now=now)
    leased = queue.next_task(user, now)
    assert leased.pk == unscored.pk
    # Scored only when the room opens it: distressing too, and today's one is used up.
    SnippetCare.objects.create(snippet_id=unscored.snippet_id, score=1.0, warn=True, categories=["threat"])
    assert queue.release_if_capped(user, Task.objects.get(pk=leased.pk), now)  # as the room loads it
    assert Task.objects.get(pk=leased.pk).status == "queued"
    set_knobs(settings, CARE_DISTRESS_DAILY_CAP=5)
    assert queue.next_task(user, now) is None  # given once: not again
    (calm,) = make_snippets(controller, 1, seconds=1.5)
    assert queue.next_task(user, now).pk == calm.pk  # 1.5 s heard + 1.5 s: the released one cost nothing


def _open(client):
    response = client.post("/room/next/")
    assert response.status_code == 302 and "/room/task/" in response["Location"], response
    page = client.get(response["Location"]).content.decode()
    stream = re.search(r'src="(/room/stream/[^"]+)"', page).group(1)
    return Task.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1]), page, stream


def test_in_the_room_a_played_then_skipped_snippet_is_had_and_its_minutes_count(controller, make_reviewer):
    ControllerPolicy.objects.create(controller=controller, daily_cap_minutes=0.05)  # 3 s of audio a day
    make_snippets(controller, 1, snippets_per_recording=2, seconds=1.5, hypothesis="set a timer")
    make_snippets(controller, 2, seconds=1.5, hypothesis="play some jazz")
    client = Client()
    client.force_login(make_reviewer())
    task, _, stream = _open(client)
    assert client.get(stream, HTTP_RANGE="bytes=0-99").status_code == 206  # played
    skipped = client.post(f"/room/task/{task.pk}/skip/", {"reason": Skip.Reason.UNCLEAR})
    # The room moves on at once, and not to the rest of that recording.
    assert skipped.status_code == 302 and "/room/task/" in skipped["Location"]
    nxt = Task.objects.get(pk=skipped["Location"].rstrip("/").rsplit("/", 1)[1])
    assert nxt.recording_id != task.recording_id
    page = client.get(skipped["Location"]).content.decode()
    assert client.get(re.search(r'src="(/room/stream/[^"]+)"', page).group(1)).status_code == 200  # played
    last = client.post(f"/room/task/{nxt.pk}/skip/", {"reason": Skip.Reason.OTHER})
    # 1.5 s + 1.5 s heard: today's 3 s are used up, skipped or not, and the last snippet waits.
    assert last.status_code == 200 and "No snippets for you right now." in last.content.decode()
    assert Task.objects.filter(status="queued").count() == 4  # none leased


def test_a_skip_before_the_audio_played_costs_no_minutes(controller, make_reviewer):
    ControllerPolicy.objects.create(controller=controller, daily_cap_minutes=0.025)  # 1.5 s
    make_snippets(controller, 2, seconds=1.5)
    user = make_reviewer()
    first = queue.next_task(user, timezone.now())
    skip(user, first.pk, Skip.Reason.UNCOMFORTABLE, now=timezone.now())
    assert queue.next_task(user, timezone.now()) is not None


def test_the_migration_recovers_exposure_from_leases_skips_and_flags(controller, make_reviewer):
    ControllerPolicy.objects.create(controller=controller, allow_same_recording=True)
    make_snippets(controller, 3, snippets_per_recording=2)
    user = make_reviewer()
    now = timezone.now()
    done = queue.next_task(user, now)
    submit(user, done.pk, "x", "k1", now=now)
    declined = queue.next_task(user, now)
    skip(user, declined.pk, Skip.Reason.UNCOMFORTABLE, now=now)
    held = queue.next_task(user, now)
    expected = {(t.pk, t.snippet_id, t.recording_id) for t in (done, declined, held)}
    from quietroom.review.models import Exposure

    Exposure.objects.all().delete()  # the database as it was before the table existed
    migration = importlib.import_module("quietroom.review.migrations.0005_exposure")
    from django.apps import apps

    migration.backfill(apps, SimpleNamespace(connection=connection))
    rows = Exposure.objects.filter(reviewer=user)
    assert {(r.task_id, r.snippet_id, r.recording_id) for r in rows} == expected
    assert {r.task_id for r in rows if r.excludes_recording} == {declined.pk}
    assert {r.task_id for r in rows if r.heard_at} == {done.pk}
