"""Escalation end to end in Chromium: reviewer A flags a snippet while reviewer B (overlap) is
playing it; B's next range request fails; the case reaches the officers' queue; a legal hold
needs a second officer; the held snippet survives retention and an erasure request (which
reports the hold and erases the rest); releasing the hold finishes the erasure by itself; the
timeline shows it all."""
import pyotp
import pytest
from django.core import mail
from django.utils import timezone

from quietroom.audit.log import Actor
from quietroom.audit.models import AuditEvent
from quietroom.escalation.models import Case, LegalHold
from quietroom.privacy import retention
from quietroom.privacy.erasure import erase_pseudonym
from quietroom.privacy.models import ErasureRequest
from quietroom.recordings.models import Snippet
from quietroom.review.models import ControllerPolicy, Task
from tests.conftest import PASSWORD, totp_code
from tests.review.factories import make_snippets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RANGE_FETCH = """async (src) => (await fetch(src, {headers: {Range: "bytes=0-99"}, credentials: "same-origin"})).status"""


def sign_in(page, live_server, user, landing="text=Review room"):
    page.goto(live_server.url + "/room/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.fill("input[name=code]", totp_code(user))
    page.click("button[type=submit]")
    page.wait_for_selector(landing)


def make_officer(controller, username):
    from quietroom.accounts.models import User
    from quietroom.accounts.pseudonyms import user_pseudonym

    user = User.objects.create(username=username, organisation=controller, role="privacy_officer",
                               email=f"{username}@acme.example", totp_secret=pyotp.random_base32(), totp_confirmed=True)
    user.set_password(PASSWORD)
    user.pseudonym = user_pseudonym(user.pk)
    user.save()
    return user


def test_flag_hold_retention_erasure_release(live_server, browser, page, controller, make_reviewer, settings):
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_GOLD_RATE": 0.0}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    # The controller's policy: every snippet heard by two reviewers.
    ControllerPolicy.objects.create(controller=controller, overlap_fraction=1.0, overlap_k=2)
    make_snippets(controller, 1, seconds=4.0, hypothesis="hello is anyone there")
    assert Task.objects.count() == 2
    rita, bob = make_reviewer("rita"), make_reviewer("bob")
    olivia, oscar = make_officer(controller, "olivia"), make_officer(controller, "oscar")
    contexts = [browser.new_context() for _ in range(3)]
    page_b, page_o1, page_o2 = (c.new_page() for c in contexts)
    try:
        # --- B starts playing ------------------------------------------------------------------
        sign_in(page_b, live_server, bob)
        page_b.click("#next")
        page_b.wait_for_selector("#player", state="attached")
        page_b.locator("#transcript").click()
        page_b.keyboard.press("Control+Space")
        page_b.wait_for_function("() => document.getElementById('player').currentTime > 0.2", timeout=15000)
        src_b = page_b.evaluate("document.getElementById('player').src")
        assert page_b.evaluate(RANGE_FETCH, src_b) == 206

        # --- A flags the same snippet ----------------------------------------------------------
        sign_in(page, live_server, rita)
        page.click("#next")
        page.wait_for_selector("#player", state="attached")
        assert page.evaluate("document.getElementById('player').src") != src_b
        page.select_option("#sensitive", "threat")
        page.fill("#sensitive-note", "a man says he will hurt someone tonight")
        page.click("#submit")
        page.wait_for_selector("text=Flagged for the controller")
        case = Case.objects.get()
        assert case.category == "threat"

        # --- B loses access on the next range request ------------------------------------------
        assert page_b.evaluate(RANGE_FETCH, src_b) == 403
        assert Task.objects.filter(lease_owner=bob).get().status == "withdrawn"
        # The officers were told (nobody is on call: both), one message each, a link and no content.
        assert sorted(m.to[0] for m in mail.outbox) == [olivia.email, oscar.email]
        assert all(len(m.to) == 1 and "hurt" not in m.body for m in mail.outbox)
        assert all(f"/escalation/case/{case.pk}/" in m.body for m in mail.outbox)

        # --- the first officer: queue, listen, propose a legal hold -------------------------------
        sign_in(page_o1, live_server, olivia, landing="#home-cards")
        page_o1.click("#nav-escalation")  # the officer's menu leads to the queue
        page_o1.wait_for_selector(f"tr[data-case='{case.pk}']")
        page_o1.click(f"tr[data-case='{case.pk}'] a")
        page_o1.wait_for_selector("#case-category >> text=Threat to others")
        assert "will hurt someone" in page_o1.inner_text("#case-note")
        page_o1.evaluate("document.getElementById('case-player').play()")
        page_o1.wait_for_function("() => document.getElementById('case-player').currentTime > 0.2", timeout=15000)
        assert AuditEvent.objects.filter(action="snippet.play", actor="olivia", outcome="ok",
                                         purpose="escalation review").exists()
        page_o1.check("#decision-legal_hold")
        page_o1.fill("#reason", "police enquiry expected; preserve evidence")
        page_o1.click("#propose")
        page_o1.wait_for_selector("#pending")
        # The proposer is not offered Confirm (four eyes; the server refuses it too: test_views).
        assert page_o1.locator("#confirm").count() == 0 and page_o1.is_visible("#awaiting-second")
        assert not LegalHold.objects.exists()

        # --- the second officer confirms ----------------------------------------------------------
        sign_in(page_o2, live_server, oscar, landing="#home-cards")
        page_o2.goto(live_server.url + f"/escalation/case/{case.pk}/")
        page_o2.click("#confirm")
        page_o2.wait_for_selector("#case-status >> text=Held")
        hold = LegalHold.objects.get()
        assert (hold.proposed_by, hold.confirmed_by) == (olivia, oscar)

        # --- retention and erasure leave the held snippet alone -------------------------------------
        settings.QUIETROOM_RETENTION = {**settings.QUIETROOM_RETENTION, "SNIPPET_DAYS": 1}
        Snippet.objects.update(created_at=timezone.now() - timezone.timedelta(days=30))
        retention.enforce()
        assert Snippet.objects.get(pk=case.snippet_id).shredded_at is None
        erasure = erase_pseudonym(controller, case.customer_pseudonym, Actor.for_user(olivia))
        assert erasure.step == "held" and erasure.held[0]["case_id"] == str(case.pk)
        page_o2.reload()  # the officers still hear the held snippet
        assert page_o2.evaluate(RANGE_FETCH, live_server.url + f"/escalation/case/{case.pk}/audio") == 206

        # --- release: the erasure finishes by itself -----------------------------------------------
        page_o2.fill(".release-reason", "police confirmed no further need")
        page_o2.click(".release")
        page_o2.wait_for_selector("text=Legal hold released.")
        assert ErasureRequest.objects.get(pk=erasure.pk).step == "done"
        assert not Snippet.objects.filter(pk=case.snippet_id).exists()

        # --- the timeline, from the audit log -------------------------------------------------------
        page_o1.goto(live_server.url + f"/escalation/case/{case.pk}/timeline/")
        actions = page_o1.eval_on_selector_all("tr.timeline-entry", "rows => rows.map(r => r.dataset.action)")
        for expected in ("task.assign", "snippet.play", "escalation.created", "escalation.decision.proposed",
                         "escalation.decision.confirmed", "escalation.hold.placed", "escalation.hold.released"):
            assert expected in actions, expected
        # Every event about the case or its snippet, and nothing else.
        case_events = AuditEvent.objects.filter(object_type="escalation_case", object_id=str(case.pk)).count()
        snippet_events = AuditEvent.objects.filter(object_type="snippet", object_id=str(case.snippet_ref)).count()
        assert len(actions) == case_events + snippet_events
        assert "notify.escalation_arrived" in actions and "key.customer.destroy" not in actions
    finally:
        for context in contexts:
            context.close()
