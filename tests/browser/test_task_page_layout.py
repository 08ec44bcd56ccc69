"""The task page at a common laptop size (1280×800): Submit is in view on load, for an ordinary
snippet and for one behind a content warning (with the "saved" message and the correction offer
above it, the tallest the head gets), and the page has one player, not two. Screenshots go to
the artefacts folder (QUIETROOM_ARTIFACTS, default test-artifacts/ at the repository root,
git-ignored) for a person to look at."""
import os
from pathlib import Path

import pytest

from tests.browser.test_escalation_flow import sign_in
from tests.review.factories import make_snippets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1280, "height": 800}
ARTIFACTS = Path(os.environ.get("QUIETROOM_ARTIFACTS") or Path(__file__).resolve().parents[2] / "test-artifacts")


def assert_in_view(page, selector):
    box = page.locator(selector).bounding_box()
    assert box is not None, f"{selector} is not rendered"
    assert box["x"] >= 0 and box["y"] >= 0, (selector, box)
    assert box["x"] + box["width"] <= VIEWPORT["width"] and box["y"] + box["height"] <= VIEWPORT["height"], (selector, box)


def check_page(page, name):
    page.wait_for_selector("#submit")
    assert page.evaluate("window.scrollY") == 0
    assert_in_view(page, "#submit")
    assert_in_view(page, "#skip-button")
    assert_in_view(page, "#play")
    # One player: the <audio> element is the source only, with no native controls to show.
    assert page.evaluate("document.querySelectorAll('audio[controls], video').length") == 0
    assert page.locator("#player").count() == 1 and not page.is_visible("#player")
    assert page.evaluate("document.documentElement.scrollWidth") <= VIEWPORT["width"]  # no sideways scrolling
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"task-page-1280x800-{name}.png"))


def test_submit_is_in_view_at_1280x800_plain_and_warned(live_server, browser, controller, make_reviewer, settings):
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_GOLD_RATE": 0.0, "REVIEW_OVERLAP_FRACTION": 0.0}
    make_snippets(controller, 1, seconds=4.0, priority=5, hypothesis="set a timer for [PERSON]'s pasta, twelve minutes",
                  redactions=[{"start": 1.1, "end": 1.6, "entity": "PERSON"}])
    make_snippets(controller, 1, seconds=3.0, priority=0, hypothesis="please stop hurting me")
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    try:
        sign_in(page, live_server, make_reviewer("lena"))
        page.click("#next")
        page.wait_for_function("() => document.getElementById('wave').dataset.decoded === '1'", timeout=15000)
        assert not page.is_visible("#content-warning")
        check_page(page, "plain")

        page.fill("#transcript", "set a timer for [PERSON]'s pasta, twelve minutes")
        page.click("#submit")
        page.wait_for_selector("#content-warning")  # the next snippet is the warned one
        assert page.is_visible("text=Saved. Thank you.") and page.is_visible("#correct-last")
        check_page(page, "warned")
        assert_in_view(page, "#warning-continue")
    finally:
        context.close()
