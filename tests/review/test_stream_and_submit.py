"""The audited gate: streaming and submitting only under a live lease, never twice."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from quietroom.audit.log import Actor
from quietroom.audit.models import AuditEvent
from quietroom.privacy import access_report
from quietroom.review import queue, streaming
from quietroom.review.models import Draft, Submission, Task

pytestmark = pytest.mark.django_db


def take_task(client):
    response = client.post("/room/next/")
    assert response.status_code == 302
    page = client.get(response["Location"])
    stream = re.search(r'src="(/room/stream/[^"]+)"', page.content.decode()).group(1)
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page.content.decode()).group(1)
    task_id = response["Location"].rstrip("/").rsplit("/", 1)[1]
    return Task.objects.get(pk=task_id), stream, key


def test_reviewer_streams_the_assigned_snippet_with_range_and_no_store(ingested, make_reviewer, reviewer_client):
    client = reviewer_client(make_reviewer())
    task, stream, _ = take_task(client)
    whole = client.get(stream)
    assert whole.status_code == 200 and whole.content[:4] == b"RIFF"
    assert "no-store" in whole["Cache-Control"] and whole["Accept-Ranges"] == "bytes"
    assert "attachment" not in whole.get("Content-Disposition", "")
    part = client.get(stream, HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206 and part.content == whole.content[10:20]
    assert part["Content-Range"] == f"bytes 10-19/{len(whole.content)}"
    tail = client.get(stream, HTTP_RANGE="bytes=-8")
    assert tail.content == whole.content[-8:]
    assert client.get(stream, HTTP_RANGE=f"bytes={len(whole.content) + 5}-").status_code == 416
    # Every request through the gate is in the log, but four requests of one page's link are one
    # play and three further requests of it (docs/audit.md), all naming the same page view.
    events = AuditEvent.objects.filter(outcome="ok", object_id=str(task.snippet_id),
                                       action__in=["snippet.play", "snippet.stream"]).order_by("seq")
    assert [e.action for e in events] == ["snippet.play"] + ["snippet.stream"] * 3
    assert len({e.details["view"] for e in events}) == 1
    assert [e.details.get("range", "") for e in events] == ["", "bytes=10-19", "bytes=-8",
                                                             f"bytes={len(whole.content) + 5}-"]


def test_one_page_view_is_one_play_however_many_requests_fetch_its_audio(ingested, make_reviewer, reviewer_client):
    """The player's first request and its range requests are one play; opening the page again is another."""
    client = reviewer_client(make_reviewer())
    task, stream, _ = take_task(client)
    assert client.get(stream, HTTP_RANGE="bytes=0-99").status_code == 206
    assert client.get(stream, HTTP_RANGE="bytes=100-199").status_code == 206
    snippet_events = AuditEvent.objects.filter(object_id=str(task.snippet_id)).order_by("seq")
    assert snippet_events.filter(action="snippet.play").count() == 1
    assert snippet_events.filter(action="snippet.stream").count() == 1

    customer_id = {"r-1": "cust-0001", "r-2": "cust-0002"}[task.snippet.recording.external_id]
    report = access_report.build(task.snippet.recording.controller, customer_id, Actor(name="dpo"))
    plays = [a for a in report["accesses"] if a["action"] == "snippet.play"]
    assert len(plays) == 1 and len(plays[0]["continuations"]) == 1  # one access, its further bytes under it
    assert not [a for a in report["accesses"] if a["action"] == "snippet.stream"]

    # The page opened again is a second view, with a link of its own: a second play.
    again = client.get(f"/room/task/{task.pk}/").content.decode()
    second = re.search(r'src="(/room/stream/[^"]+)"', again).group(1)
    assert second != stream
    assert client.get(second, HTTP_RANGE="bytes=0-99").status_code == 206
    assert snippet_events.filter(action="snippet.play").count() == 2


def test_reviewer_cannot_stream_a_snippet_not_assigned_to_them(ingested, make_reviewer, reviewer_client):
    owner = make_reviewer("owner")
    task, stream, _ = take_task(reviewer_client(owner))
    intruder = make_reviewer("intruder")
    other = Client()
    other.force_login(intruder)
    # A token minted for the intruder's own session, naming the owner's task.
    session_key = other.session.session_key
    forged = "/room/stream/" + streaming.make_token(task.id, intruder.id, session_key, streaming.lease_tag(task))
    response = other.get(forged)
    assert response.status_code == 403
    denied = AuditEvent.objects.get(action="snippet.play", outcome="denied", actor="intruder")
    assert "snippet is not assigned to this reviewer" in denied.details["reasons"]
    assert denied.object_id == str(task.snippet_id)
    # The owner's own link does not work from another session either.
    assert other.get(stream).status_code == 403


def test_stream_token_is_bound_to_the_session(ingested, make_reviewer, reviewer_client):
    user = make_reviewer()
    client = reviewer_client(user)
    _, stream, _ = take_task(client)
    stranger = Client()
    stranger.force_login(user)  # same account, another session (e.g. a copied link)
    assert stranger.get(stream).status_code == 403


def test_expired_lease_stops_playback_and_returns_the_task_to_the_queue(ingested, make_reviewer, reviewer_client):
    client = reviewer_client(make_reviewer())
    task, stream, _ = take_task(client)
    Task.objects.filter(pk=task.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert client.get(stream).status_code == 403
    other = make_reviewer("second")
    again = queue.next_task(other, timezone.now())
    assert again is not None and again.pk == task.pk and again.lease_owner_id == other.id


def test_an_expired_lease_opens_no_text_and_takes_no_work_while_it_is_still_marked_leased(
        ingested, make_reviewer, reviewer_client):
    """Issue 14, hole 9: the hypothesis and draft reads asked owner and status, not the time."""
    import html

    client = reviewer_client(make_reviewer())
    task, stream, key = take_task(client)
    url = f"/room/task/{task.id}/"
    hypothesis = html.unescape(re.search(r'<textarea id="transcript"[^>]*>(.*?)</textarea>',
                                         client.get(url).content.decode(), re.S).group(1))
    assert hypothesis.strip()
    draft = "words only the holder of a live lease may read again"
    assert client.post(url + "draft/", {"transcript": draft}).json() == {"saved": True}
    assert draft in client.get(url).content.decode()

    Task.objects.filter(pk=task.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    assert Task.objects.get(pk=task.pk).status == "leased"  # nobody's next_task has reclaimed it yet
    page = client.get(url)
    assert page.status_code == 403 and "lease has expired" in page.content.decode()
    assert draft not in page.content.decode()
    Draft.objects.filter(task=task).delete()  # without a draft the page would show the hypothesis
    page = client.get(url)
    assert page.status_code == 403 and hypothesis.strip() not in page.content.decode()
    for action in ("draft.read", "hypothesis.view"):
        denied = AuditEvent.objects.get(action=action, outcome="denied")
        assert "lease has expired" in denied.details["reasons"]

    # Nor can the late holder hand anything in, or play the audio.
    saved = client.post(url + "draft/", {"transcript": "late words"})
    assert saved.status_code == 409 and "lease has expired" in saved.json()["reasons"]
    late = client.post(url, {"transcript": "late words", "idempotency_key": key})
    assert late.status_code == 400 and "lease has expired" in late.content.decode()
    skipped = client.post(url + "skip/", {"reason": "unclear_audio"})
    assert skipped.status_code == 400 and "lease has expired" in skipped.content.decode()
    assert client.get(stream).status_code == 403
    assert not Submission.objects.exists() and not Draft.objects.exists()
    assert Task.objects.get(pk=task.pk).status == "leased"


def test_submit_is_idempotent_and_stores_the_transcript_encrypted(ingested, make_reviewer, reviewer_client):
    client = reviewer_client(make_reviewer())
    task, _, key = take_task(client)
    text = "please turn the kitchen lights off"
    first = client.post(f"/room/task/{task.id}/", {"transcript": text, "idempotency_key": key})
    assert first.status_code == 302
    # A double click or a retry re-sends the same form: the task is done, the key is known.
    second = client.post(f"/room/task/{task.id}/", {"transcript": "a different text", "idempotency_key": key})
    assert second.status_code == 302  # the same answer as the first: saved, on to the next
    assert Submission.objects.count() == 1
    submission = Submission.objects.get()
    assert text.encode() not in bytes(submission.transcript_ciphertext)
    assert Task.objects.get(pk=task.pk).status == "done"
    assert AuditEvent.objects.filter(action="transcript.submit", outcome="ok").count() == 1


def test_submission_by_someone_else_is_refused_and_audited(ingested, make_reviewer, reviewer_client):
    from quietroom.review.submissions import SubmissionRefused, submit

    client = reviewer_client(make_reviewer("holder"))
    task, _, _ = take_task(client)
    other = make_reviewer("other")
    with pytest.raises(SubmissionRefused) as refused:
        submit(other, task.id, "words", "k" * 32, now=timezone.now())
    assert "snippet is not assigned to this reviewer" in refused.value.reasons
    assert Submission.objects.count() == 0
    assert AuditEvent.objects.filter(action="transcript.submit", outcome="denied", actor="other").exists()


def test_another_reviewers_idempotency_key_gets_neither_their_result_nor_a_save(ingested, make_reviewer,
                                                                               reviewer_client):
    from quietroom.review.submissions import SubmissionRefused, submit

    first = reviewer_client(make_reviewer("first"))
    task, _, key = take_task(first)
    assert first.post(f"/room/task/{task.id}/", {"transcript": "lights off", "idempotency_key": key}).status_code == 302
    thief = make_reviewer("thief")
    own = queue.next_task(thief, timezone.now())
    with pytest.raises(SubmissionRefused) as refused:
        submit(thief, own.id, "words", key, now=timezone.now())
    assert refused.value.reasons == ("idempotency key belongs to another submission",)
    assert Submission.objects.count() == 1 and Submission.objects.get().reviewer.username == "first"
    assert Task.objects.get(pk=own.pk).status == "leased"  # nothing of the refused save was kept


def test_queue_gives_each_reviewer_a_different_snippet(ingested, make_reviewer):
    now = timezone.now()
    reviewers = [make_reviewer(f"r{i}") for i in range(3)]
    tasks = [queue.next_task(r, now) for r in reviewers]
    assert all(tasks) and len({t.pk for t in tasks}) == 3
    assert queue.next_task(reviewers[0], now).pk == tasks[0].pk  # the current lease, not a new one


def test_reviewer_without_the_locale_gets_nothing(ingested, make_reviewer):
    assert queue.next_task(make_reviewer("fr", locales=["fr-FR"]), timezone.now()) is None
