"""Reviewer care in Chromium: a distressing snippet does not play until the reviewer accepts
the content warning; a break reminder appears after the configured stretch of work."""
import pytest

from tests.browser.test_escalation_flow import sign_in
from tests.review.factories import make_snippets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_content_warning_and_break_reminder(live_server, page, controller, make_reviewer, settings):
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_GOLD_RATE": 0.0, "REVIEW_OVERLAP_FRACTION": 0.0,
                          "CARE_BREAK_MINUTES": 0.03}  # ~2 s, so the test need not wait 50 minutes
    make_snippets(controller, 1, seconds=3.0, hypothesis="please stop hurting me")
    sign_in(page, live_server, make_reviewer("rita"))
    page.click("#next")
    page.wait_for_selector("#content-warning")
    assert page.is_visible("#content-warning")
    page.locator("#transcript").click()
    page.keyboard.press("Control+Space")  # the play shortcut is held back by the warning
    page.wait_for_timeout(700)
    assert page.evaluate("document.getElementById('player').paused")
    assert page.evaluate("document.getElementById('player').currentTime") == 0
    page.click("#warning-continue")
    assert not page.is_visible("#content-warning")
    page.keyboard.press("Control+Space")
    page.wait_for_function("() => document.getElementById('player').currentTime > 0.2", timeout=15000)

    page.wait_for_selector("#break-reminder", state="visible", timeout=10000)
    page.click("#break-dismiss")
    assert not page.is_visible("#break-reminder")
    assert page.get_attribute("#support-link", "href") == "/escalation/support/"
