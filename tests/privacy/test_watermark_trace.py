"""A leaked clip names its listener (issue 19): streams through the HTTP path carry a watermark
that `quietroom trace` and the privacy officer's page read back to the play."""
from __future__ import annotations

import re

import pyotp
import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from quietroom import testspeech
from quietroom.audit.models import AuditEvent, Delivery
from quietroom.privacy import leaks
from quietroom.review.models import Task

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_slots_per_snippet(settings):
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_OVERLAP_FRACTION": 1.0, "REVIEW_OVERLAP_K": 2,
                          "REVIEW_GOLD_RATE": 0.0}


@pytest.fixture
def make_staff(controller):
    from quietroom.accounts.models import User
    from quietroom.accounts.pseudonyms import user_pseudonym

    def make(username, role):
        user = User.objects.create(username=username, organisation=controller, role=role, first_name=username.title(),
                                   last_name="Staff", totp_secret=pyotp.random_base32(), totp_confirmed=True)
        user.pseudonym = user_pseudonym(user.pk)
        user.save()
        return user

    return make


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def lease(client, snippet_id=None):
    """Take the next task in the room; its task and the page's audio link."""
    response = client.post("/room/next/")
    assert response.status_code == 302, response.content[:300]
    page = client.get(response["Location"]).content.decode()
    stream = re.search(r'src="(/room/stream/[^"]+)"', page).group(1)
    task = Task.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1])
    assert snippet_id is None or task.snippet_id == snippet_id
    return task, stream


def play_event(task, reviewer):
    return AuditEvent.objects.get(action="snippet.play", outcome="ok", object_id=str(task.snippet_id),
                                  actor=reviewer.username)


def test_a_streamed_snippet_is_traced_back_to_its_play(ingested, make_reviewer, make_staff):
    reviewer = make_reviewer("rita")
    client = signed_in(reviewer)
    task, stream = lease(client)
    whole = client.get(stream).content
    assert whole[:4] == b"RIFF"
    # The player's range requests are further bytes of the same play: the same marked bytes.
    assert client.get(stream, HTTP_RANGE="bytes=1000-4999").content == whole[1000:5000]
    play = play_event(task, reviewer)
    delivery = Delivery.objects.get(event=play)
    assert Delivery.objects.filter(object_id=str(task.snippet_id)).count() == 1  # the range request made none

    officer = make_staff("olga", "privacy_officer")
    traced = leaks.trace_file(whole, officer)
    assert traced.found and traced.event_seq == play.seq and traced.action == "snippet.play"
    assert traced.purpose == "transcription" and traced.snippet == str(task.snippet_id)
    assert traced.recipient_pseudonym == reviewer.pseudonym and "rita" in traced.recipient
    assert traced.false_alarm <= 1e-9
    # An auditor learns the delivery, not the person.
    assert leaks.trace_file(whole, make_staff("abe", "auditor")).recipient == ""
    # Each trace is audited, with the file's fingerprint, never its audio.
    audited = AuditEvent.objects.filter(action=leaks.TRACE, actor="olga").get()
    assert audited.details["found"] is True and audited.details["delivery_event"] == play.seq
    assert audited.details["file_bytes"] == len(whole) and delivery.serial >= 1

    # The privacy officer's page does the same with an upload.
    from django.core.files.uploadedfile import SimpleUploadedFile

    page = signed_in(officer).post("/privacy/trace/", {"audio": SimpleUploadedFile("leak.wav", whole)})
    html = page.content.decode()
    assert page.status_code == 200 and "Delivery found" in html and f"#{play.seq}" in html
    assert reviewer.pseudonym in html and "rita" in html


def test_a_play_whose_mark_fails_sends_no_audio_and_stays_in_the_log(ingested, make_reviewer, monkeypatch):
    """The mark is embedded on a marking thread while the play's event commits: if it fails, the
    request fails with it (nothing unmarked is sent) and the log keeps the play; the failure is
    never turned into the snippet's plain bytes."""
    from quietroom import watermark
    from quietroom.audit import deliveries

    reviewer = make_reviewer("rita")
    client = signed_in(reviewer)
    task, stream = lease(client)

    def broken(*args, **kwargs):
        raise RuntimeError("embedding failed")

    monkeypatch.setattr(watermark, "embed_pcm16", broken)
    deliveries._marked.clear()  # an earlier test's play of this snippet under the same (rolled back) serial
    client.raise_request_exception = False
    response = client.get(stream)
    assert response.status_code == 500 and b"RIFF" not in response.content
    assert play_event(task, reviewer).delivery.serial >= 1
    monkeypatch.undo()
    assert client.get(stream).content[:4] == b"RIFF"  # a further request marks it after all


def test_two_reviewers_copies_of_one_snippet_trace_to_each(two_slots_per_snippet, ingested, make_reviewer, make_staff):
    rita, sam = make_reviewer("rita"), make_reviewer("sam")
    rita_client = signed_in(rita)
    task, stream = lease(rita_client)
    # Leave only the other slot of this snippet in the queue, so Sam is handed the same snippet.
    Task.objects.filter(status=Task.Status.QUEUED).exclude(snippet_id=task.snippet_id).delete()
    sam_client = signed_in(sam)
    sam_task, sam_stream = lease(sam_client, task.snippet_id)
    copies = {"rita": rita_client.get(stream).content, "sam": sam_client.get(sam_stream).content}
    assert copies["rita"] != copies["sam"]  # the same snippet, two different marks
    officer = make_staff("olga", "privacy_officer")
    for name, reviewer, leased in (("rita", rita, task), ("sam", sam, sam_task)):
        traced = leaks.trace_file(copies[name], officer)
        assert traced.found and traced.event_seq == play_event(leased, reviewer).seq, name
        assert traced.recipient_pseudonym == reviewer.pseudonym


def test_an_unmarked_file_says_no_mark_found(tmp_path, make_staff, capsys):
    officer = make_staff("olga", "privacy_officer")
    samples, rate, _ = testspeech.make_conversation(3, seed=21)  # public speech, never streamed
    path = testspeech.write_audio(tmp_path / "unmarked.flac", samples, rate, "flac")
    call_command("trace", str(path), "--as", "olga")
    out = capsys.readouterr().out
    assert out.startswith("no mark found") and "false-alarm probability" in out
    assert AuditEvent.objects.get(action=leaks.TRACE).details["found"] is False
    page = signed_in(officer).post("/privacy/trace/", {"audio": open(path, "rb")})
    assert "No mark found" in page.content.decode()


def test_trace_refuses_the_wrong_people_and_files(tmp_path, make_staff, make_reviewer):
    make_staff("olga", "privacy_officer")
    make_reviewer("rita")
    junk = tmp_path / "notes.wav"
    junk.write_bytes(b"these are not audio bytes")
    with pytest.raises(CommandError, match="notes.wav: not a recognised audio format"):
        call_command("trace", str(junk), "--as", "olga")
    assert AuditEvent.objects.get(action=leaks.TRACE).outcome == "failed"
    with pytest.raises(CommandError, match="only privacy officers and auditors"):
        call_command("trace", str(junk), "--as", "rita")
    with pytest.raises(CommandError, match="no active user"):
        call_command("trace", str(junk), "--as", "nobody")
    assert signed_in(make_reviewer("sam")).get("/privacy/trace/").status_code == 403


def test_deliveries_count_up_per_key_and_a_used_up_key_refuses_without_writing(make_staff):
    from quietroom import watermark
    from quietroom.audit import deliveries
    from quietroom.audit.log import Actor, record

    officer = make_staff("olga", "privacy_officer")

    def event():
        return record(Actor.for_user(officer), "snippet.play", object_type="snippet", object_id="s-1")

    first, second = deliveries.record(event(), view="v1"), deliveries.record(event(), view="v2")
    assert (first.serial, second.serial) == (1, 2) and first.key_id == second.key_id
    assert Delivery.objects.get(pk=second.pk).serial == 2 and deliveries.of_view("v2", "s-1") == second
    Delivery.objects.filter(pk=second.pk).update(serial=watermark.MAX_SERIAL)  # the key's last serial taken
    before = Delivery.objects.count()
    with pytest.raises(deliveries.KeyExhausted, match="set a new key"):
        deliveries.record(event(), view="v3")
    assert Delivery.objects.count() == before


def test_a_plays_marked_bytes_are_reused_only_for_the_audio_they_were_marked_in(make_staff):
    """A further request of a play gets the play's marked bytes again; other audio under the
    same delivery (tests roll serials back; a cache must never answer for audio it did not mark)
    is marked afresh."""
    import numpy as np

    from quietroom.audit import deliveries
    from quietroom.audit.log import Actor, record
    from quietroom.deid import audio_io

    officer = make_staff("olga", "privacy_officer")
    delivery = deliveries.record(record(Actor.for_user(officer), "snippet.play", object_type="snippet",
                                        object_id="s-1"), view="v1")
    rng = np.random.default_rng(3)
    one, other = (audio_io.encode_wav((rng.normal(0, 0.1, 32000) * np.sin(np.arange(32000) / 900.0)).astype(np.float32))
                  for _ in range(2))
    first = deliveries.mark_wav(one, delivery)
    assert deliveries.mark_wav(bytes(one), delivery) is first  # equal audio, another object: the same bytes
    marked_other = deliveries.mark_wav(other, delivery)
    assert marked_other != first and len(marked_other) == len(other)
    deliveries._marked.clear()
    assert deliveries.mark_wav(other, delivery) == marked_other  # what a fresh marking writes


def test_a_play_and_its_delivery_are_written_by_one_statement_and_a_used_up_key_writes_neither(make_staff):
    """PostgreSQL: the play's audit event carries its delivery row (`log.Rider`); the serial still
    counts up under the head lock, and a used-up key rolls the event back with it."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from quietroom import watermark
    from quietroom.audit import deliveries
    from quietroom.audit.log import Actor, record

    if connection.vendor != "postgresql":
        assert deliveries.pending("v0", "s-1") is None  # SQLite writes the row after the event
        pytest.skip("the rider is PostgreSQL's WITH")
    officer = make_staff("olga", "privacy_officer")
    earlier = deliveries.record(record(Actor.for_user(officer), "snippet.play", object_type="snippet", object_id="s-1"),
                                view="v0")

    def play(view):
        pending = deliveries.pending(view, "s-1")
        event = record(Actor.for_user(officer), "snippet.play", object_type="snippet", object_id="s-1",
                       rider=pending.rider)
        return event, pending.delivery(event)

    with CaptureQueriesContext(connection) as queries:
        event, delivery = play("v1")
    assert [q["sql"].count("audit_delivery") > 0 for q in queries.captured_queries].count(True) == 1
    stored = Delivery.objects.get(pk=delivery.pk)
    assert (stored.event_id, stored.serial, stored.view, stored.key_id) == (event.pk, earlier.serial + 1, "v1",
                                                                           earlier.key_id)
    assert deliveries.of_view("v1", "s-1") == delivery
    Delivery.objects.filter(pk=delivery.pk).update(serial=watermark.MAX_SERIAL)  # the key's last serial taken
    events, rows = AuditEvent.objects.count(), Delivery.objects.count()
    with pytest.raises(deliveries.KeyExhausted, match="set a new key"):
        with transaction.atomic():
            play("v2")
    assert (AuditEvent.objects.count(), Delivery.objects.count()) == (events, rows)
