"""Stored XSS: names and transcripts carrying markup are shown as text, in a real browser.

Strict CSP would stop an injected inline script even if escaping failed, so a missing dialog
proves little on its own; each check also asserts that no element was injected into the DOM
and that the payload is visible as literal text.
"""
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from quietroom.accounts.models import Organisation, Site, User
from tests.accounts.conftest import make_user, manager_a  # noqa: F401 (fixture)
from tests.conftest import PASSWORD, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCRIPT = "<script>window.__pwned=1;alert(1)</script>"
IMG = '"><img src=x onerror="window.__pwned=1;alert(1)">'


def sign_in(page, base, user):
    page.goto(base + "/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.fill("input[name=code]", totp_code(user))
    page.click("button[type=submit]")
    page.wait_for_load_state()


def assert_inert(page, dialogs, payloads):
    assert dialogs == [], dialogs
    assert page.evaluate("window.__pwned") is None
    assert page.evaluate("document.querySelectorAll('img[src=x], script:not([src])').length") == 0
    text = page.inner_text("body")
    for payload in payloads:
        assert payload in text, payload


@pytest.fixture
def dialogs(page):
    seen = []
    page.on("dialog", lambda dialog: (seen.append(dialog.message), dialog.dismiss()))
    return seen


def test_names_with_markup_are_text_on_the_manager_pages(live_server, page, dialogs, vendor, site, manager_a):
    victim = make_user("xss-person", vendor, "reviewer", site=site, first_name=SCRIPT, last_name=IMG)
    Site.objects.filter(pk=site.pk).update(name="Leeds " + IMG)
    sign_in(page, live_server.url, manager_a)
    page.goto(live_server.url + "/accounts/manage/")
    assert_inert(page, dialogs, [SCRIPT, IMG])
    page.goto(f"{live_server.url}/accounts/manage/people/{victim.pk}/")
    assert_inert(page, dialogs, [SCRIPT, IMG])


def test_vendor_and_site_names_with_markup_are_text_on_the_controller_pages(live_server, page, dialogs, controller, vendor, site):
    admin = make_user("xss-admin", controller, "controller_admin")
    Organisation.objects.filter(pk=vendor.pk).update(name="Vendor " + SCRIPT)
    Site.objects.filter(pk=site.pk).update(name="Site " + IMG)
    sign_in(page, live_server.url, admin)
    page.goto(live_server.url + "/accounts/controller/")
    assert_inert(page, dialogs, [SCRIPT, IMG])
    page.goto(f"{live_server.url}/accounts/controller/vendors/{vendor.pk}/")
    assert_inert(page, dialogs, [SCRIPT])


def test_a_transcript_with_markup_is_text_when_shown_back(live_server, page, dialogs, ingested, make_reviewer):
    user = make_reviewer("xss-reviewer")
    sign_in(page, live_server.url, user)
    page.click("#next")
    page.wait_for_selector("#transcript")
    payload = SCRIPT + " " + IMG
    page.fill("#transcript", payload)
    # The NDA lapses before submitting: the page comes back with the refusal and the transcript.
    User.objects.filter(pk=user.pk).update(nda_signed_until=timezone.now() - timedelta(minutes=1))
    page.click("#submit")
    page.wait_for_selector("[role=alert]")
    assert page.input_value("#transcript") == payload
    assert dialogs == [] and page.evaluate("window.__pwned") is None
    assert page.evaluate("document.querySelectorAll('img[src=x], script:not([src])').length") == 0
    assert "confidentiality agreement (NDA) expired" in page.inner_text("body")


def test_a_notice_naming_a_user_with_markup_is_text(live_server, page, dialogs, vendor, site, manager_a):
    from quietroom.accounts.notices import notify

    notify(manager_a, f"{SCRIPT} signed in from a second session {IMG}")
    sign_in(page, live_server.url, manager_a)
    page.goto(live_server.url + "/accounts/notices/")
    assert_inert(page, dialogs, [SCRIPT, IMG])
    assert re.search(r"Notices", page.inner_text("header"))
