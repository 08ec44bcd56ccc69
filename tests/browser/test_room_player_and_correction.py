"""The room's one player does what the native controls did (play/pause, seek, position and
length, by mouse and by keyboard, with labels), and a reviewer corrects a typo in their last
submission in Chromium."""
import pytest

from quietroom import gate
from quietroom.audit.log import Actor
from quietroom.audit.models import AuditEvent
from quietroom.review.models import Submission
from tests.browser.test_escalation_flow import sign_in
from tests.review.factories import make_snippets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POSITION = "document.getElementById('player').currentTime"


def test_the_custom_player_plays_seeks_and_shows_where_it_is(live_server, page, controller, make_reviewer, settings):
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_GOLD_RATE": 0.0, "REVIEW_OVERLAP_FRACTION": 0.0}
    make_snippets(controller, 1, seconds=4.0, hypothesis="what is the weather")
    sign_in(page, live_server, make_reviewer("pia"))
    page.click("#next")
    page.wait_for_function("() => document.getElementById('wave').dataset.decoded === '1'", timeout=15000)
    assert page.inner_text("#clock") == "0.0 / 4.0 s"
    # Every control has a name a screen reader reads, and the waveform is a slider.
    assert page.get_attribute("#back", "aria-label") == "Back 2 seconds"
    assert page.get_attribute("#wave", "role") == "slider" and page.get_attribute("#wave", "tabindex") == "0"
    assert "Position in the snippet" in page.get_attribute("#wave", "aria-label")
    assert page.locator("label[for=speed]").inner_text() == "Speed"

    page.click("#play")
    page.wait_for_function(f"() => {POSITION} > 0.3", timeout=15000)
    assert page.inner_text("#play") == "Pause"
    page.click("#play")
    # the button's label follows the media element's "pause" event, which fires asynchronously
    page.wait_for_function("() => document.getElementById('play').textContent.trim() === 'Play'", timeout=5000)
    assert page.evaluate("document.getElementById('player').paused")

    page.focus("#transcript")
    box = page.locator("#wave").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.75, box["y"] + box["height"] / 2)  # a click seeks
    assert page.evaluate(POSITION) == pytest.approx(3.0, abs=0.1)
    # The clock follows the media element's timeupdate event: asynchronous, so wait for it.
    page.wait_for_function("() => document.getElementById('clock').textContent.startsWith('3.0 / 4.0')",
                           timeout=10000)
    assert page.evaluate("document.activeElement.id") == "transcript"  # the click kept the typing focus

    page.focus("#wave")
    page.keyboard.press("Home")
    assert page.evaluate(POSITION) == 0
    page.keyboard.press("ArrowRight")
    assert page.evaluate(POSITION) == pytest.approx(1.0, abs=0.05)
    assert page.get_attribute("#wave", "aria-valuetext") == "1.0 of 4.0 seconds"
    page.keyboard.press("End")
    assert page.evaluate(POSITION) == pytest.approx(4.0, abs=0.05)
    page.keyboard.press("Home")
    page.keyboard.press("Space")
    page.wait_for_function(f"() => {POSITION} > 0.2", timeout=15000)
    page.keyboard.press("Space")
    assert page.evaluate("document.getElementById('player').paused")

    page.select_option("#speed", "1.5")
    assert page.evaluate("document.getElementById('player').playbackRate") == 1.5
    page.keyboard.press("Alt+ArrowDown")
    assert page.evaluate("document.getElementById('player').playbackRate") == 1.25
    assert page.input_value("#speed") == "1.25"  # the shortcut and the control agree


def test_a_reviewer_corrects_a_typo_in_their_last_submission(live_server, page, controller, make_reviewer, settings):
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_GOLD_RATE": 0.0, "REVIEW_OVERLAP_FRACTION": 0.0}
    make_snippets(controller, 2, hypothesis="machine guess {i}")
    user = make_reviewer("cora")
    sign_in(page, live_server, user)
    page.click("#next")
    # room.js binds Ctrl+Enter when the page has run its scripts; typing may start before that
    page.wait_for_load_state("load")
    page.fill("#transcript", "turn the radoi down")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("#correct-last")
    holding = page.url
    page.click("#correct-last")
    assert page.input_value("#transcript") == "turn the radoi down"
    assert page.locator("audio").count() == 0
    page.fill("#transcript", "turn the radio down")
    page.check("#activation-intended")
    page.keyboard.press("Control+Enter")
    page.wait_for_selector("text=Your correction is saved.")
    assert page.url == holding  # back to the snippet in hand

    submission = Submission.objects.select_related("task__snippet__recording__customer_key").get(reviewer=user)
    ((_, text),) = list(gate.transcripts_for_export(Actor.system(), [submission], purpose="export"))
    assert text == "turn the radio down" and submission.labels["activation"] == "intended"
    assert AuditEvent.objects.filter(action="transcript.edit", outcome="ok", actor="cora").count() == 1
