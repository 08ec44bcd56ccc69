"""A reviewer works through ten snippets in Chromium with the keyboard only: play, speed, back,
labels, a skip, an accidental activation and a personal-data span the pipeline missed."""
import json

import pytest

from quietroom import gate
from quietroom.audit.log import Actor
from quietroom.recordings.models import Snippet
from quietroom.review.models import Skip, Submission
from tests.conftest import PASSWORD, totp_code
from tests.review.factories import make_snippets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SKIP_AT, ACCIDENTAL_AT, PII_AT = 2, 4, 6


def sign_in(page, live_server, user):
    page.goto(live_server.url + "/room/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.fill("input[name=code]", totp_code(user))
    page.click("button[type=submit]")
    page.wait_for_selector("text=Review room")


def wait_playing_past(page, seconds):
    page.wait_for_function(f"() => document.getElementById('player').currentTime > {seconds}", timeout=15000)


def test_ten_snippets_by_keyboard(live_server, page, controller, make_reviewer, settings):
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_OVERLAP_FRACTION": 0.0, "REVIEW_GOLD_RATE": 0.0}
    make_snippets(controller, 11, seconds=2.0, hypothesis="hypothesis {i}",
                  redactions=[{"start": 0.5, "end": 0.9, "entity": "PHONE_NUMBER"}])
    user = make_reviewer("kira")
    sign_in(page, live_server, user)
    page.keyboard.press("Enter")  # the "Next snippet" button has the focus
    typed = {}
    seen = []
    for i in range(10):
        page.wait_for_selector("#player", state="attached")
        task_id = page.url.rstrip("/").rsplit("/", 1)[1]
        assert task_id not in seen
        seen.append(task_id)
        page.wait_for_function("() => document.getElementById('wave').dataset.decoded === '1'", timeout=15000)
        assert page.evaluate("document.querySelector('a[download], a[href*=\"/room/stream/\"]')") is None
        assert page.input_value("#transcript").startswith("hypothesis ")  # ASR hypothesis pre-filled
        page.keyboard.press("Control+Space")
        wait_playing_past(page, 0.3)
        if i == 0:
            page.keyboard.press("Alt+ArrowUp")
            page.keyboard.press("Alt+ArrowUp")
            assert page.evaluate("document.getElementById('player').playbackRate") == 1.5
            for _ in range(5):
                page.keyboard.press("Alt+ArrowDown")
            assert page.evaluate("document.getElementById('player').playbackRate") == 0.5
            page.keyboard.press("Alt+ArrowUp")
            page.keyboard.press("Alt+ArrowUp")
            before = page.evaluate("document.getElementById('player').currentTime")
            page.keyboard.press("Alt+ArrowLeft")
            assert page.evaluate("document.getElementById('player').currentTime") < max(before - 0.2, 0.2)
            assert page.url.rstrip("/").endswith(task_id)  # Alt+← went back in the audio, not in history
        if i == PII_AT:
            page.keyboard.press("Alt+KeyM")
            start = page.evaluate("document.getElementById('player').currentTime")
            wait_playing_past(page, start + 0.4)
            page.keyboard.press("Alt+KeyM")
            assert len(json.loads(page.input_value("#pii-spans"))) == 1
            assert page.locator("#pii-list li").count() == 1
        page.keyboard.press("Control+Space")  # pause
        assert page.evaluate("document.getElementById('player').paused")
        if i == SKIP_AT:
            page.keyboard.press("Alt+KeyS")
            page.keyboard.press("ArrowDown")  # second reason: not my language
            page.keyboard.press("Control+Enter")
        else:
            page.keyboard.press("Control+a")
            typed[task_id] = f"words of snippet {i}"
            page.keyboard.type(typed[task_id])
            if i == ACCIDENTAL_AT:
                page.keyboard.press("Alt+KeyA")
            else:
                page.keyboard.press("Alt+KeyI")
                page.keyboard.press("Alt+KeyQ")  # quality: good
            page.keyboard.press("Control+Enter")
        page.wait_for_function(f"() => !location.pathname.includes('{task_id}')", timeout=15000)

    submissions = {str(s.task_id): s for s in Submission.objects.filter(reviewer=user).select_related("task__snippet__recording__customer_key")}
    assert len(submissions) == 9
    skip = Skip.objects.get(reviewer=user)
    assert str(skip.task_id) == seen[SKIP_AT] and skip.reason == "not_my_language"
    accidental = submissions[seen[ACCIDENTAL_AT]]
    assert accidental.labels["activation"] == "accidental" and accidental.transcript_ciphertext is None
    assert Snippet.objects.get(pk=accidental.task.snippet_id).shredded_at is not None
    (span,) = submissions[seen[PII_AT]].labels["pii_spans"]
    assert 0 <= span["start"] < span["end"] <= 2.0 and span["end"] - span["start"] >= 0.3
    texts = {str(s.task_id): t for s, t in gate.transcripts_for_export(Actor.system(), submissions.values(), purpose="export")}
    assert texts == {k: v for k, v in typed.items() if k != seen[ACCIDENTAL_AT]}
    normal = [s for k, s in submissions.items() if k not in (seen[ACCIDENTAL_AT],)]
    assert all(s.labels["activation"] == "intended" and s.labels["quality"] == "good" for s in normal)
