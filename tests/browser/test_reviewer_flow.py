"""A reviewer in a real browser: sign in with TOTP, play a snippet, submit a transcript."""
import pytest

from quietroom import gate
from quietroom.audit.log import Actor
from quietroom.audit.models import AuditEvent
from quietroom.review.models import Submission
from tests.conftest import PASSWORD, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_reviewer_logs_in_with_totp_plays_a_snippet_and_submits(live_server, page, ingested, make_reviewer):
    user = make_reviewer("browser-rita")
    page.goto(live_server.url + "/room/")
    assert "/accounts/login/" in page.url  # the room needs a login
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.fill("input[name=code]", totp_code(user))
    page.click("button[type=submit]")
    page.wait_for_selector("text=Review room")
    page.click("#next")
    page.wait_for_selector("#player", state="attached")

    # Ctrl+Space is the play shortcut; the audio must actually decode and advance.
    page.locator("#transcript").click()
    page.keyboard.press("Control+Space")
    page.wait_for_function("() => document.getElementById('player').currentTime > 0.3", timeout=15000)
    duration = page.evaluate("document.getElementById('player').duration")
    assert 0.3 < duration <= 10.0
    assert page.evaluate("document.querySelector('a[download]')") is None

    page.fill("#transcript", "turn the radio down please")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=Saved. Thank you.")

    submission = Submission.objects.get()
    assert submission.reviewer_id == user.id
    (_, text), = list(gate.transcripts_for_export(Actor.system(), [submission], purpose="export"))
    assert text == "turn the radio down please"
    plays = AuditEvent.objects.filter(action="snippet.play", outcome="ok", actor=user.username)
    # After a submit the next snippet opens at once (its waveform loads through the gate too):
    # every play is of a snippet leased to this reviewer, and the submitted one was played.
    from quietroom.review.models import Task

    leased = {str(s) for s in Task.objects.filter(lease_owner=user).values_list("snippet_id", flat=True)}
    assert plays.filter(object_id=str(submission.task.snippet_id)).exists()
    # One page view, one play (docs/audit.md): the player and the waveform fetched the audio in
    # several requests, often at once; each is audited, the first as the play, the rest as
    # further bytes of it.
    submitted = str(submission.task.snippet_id)
    assert plays.filter(object_id=submitted).count() == 1
    assert AuditEvent.objects.filter(action="snippet.stream", outcome="ok", object_id=submitted,
                                     actor=user.username).exists()
    assert {e.object_id for e in plays} <= leased
    assert AuditEvent.objects.filter(action="login", actor=user.username).count() == 1
