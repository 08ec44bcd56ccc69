"""Issue 16 in Chromium: every role signs in, lands on its home, follows every link of its menu
(each answers 200), and reads the refusal page, in the layout with its reason and the menu, for
a page it may not open. Each home, the room, the reviewer's task page and an escalation case
pass axe-core with no serious or critical violation. Screenshots of the homes (1280×800) and
the axe findings go to the artefacts folder (tests/browser/conftest.py: `artifacts`).

One browser for the module; the organisation, people and work every role sees are built once
per test by `world` (cheap: no pipeline run, sealed audio from the review factories).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlparse

import pyotp
import pytest
from django.utils import timezone

from quietroom.accounts.context_processors import menu_for
from quietroom.accounts.models import Organisation, User
from quietroom.accounts.pseudonyms import user_pseudonym
from quietroom.escalation.models import Case
from quietroom.escalation.notify import set_on_call
from quietroom.review import queue
from quietroom.review.models import Agreement
from quietroom.review.submissions import submit
from tests.browser.accessibility import assert_accessible
from tests.browser.test_escalation_flow import sign_in
from tests.conftest import PASSWORD
from tests.review.factories import make_snippets

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORT = {"width": 1280, "height": 800}
HOME_CARDS = "#home-cards"
# axe takes about half a second a page: every home is checked, and every other page the menus
# lead to once in the module, by the first role to open it.
AXE_CHECKED: set[str] = set()
REFUSAL = "Your role does not allow this."


@dataclass(frozen=True)
class Role:
    key: str            # the person in `world` (escalation staff: a privacy officer on call)
    home: str           # where signing in lands
    forbidden: str      # a page this role may not open (GET)
    cards: dict = field(default_factory=dict)  # the home's cards: title -> number shown ("" for none)

    @property
    def landing(self) -> str:
        return "text=Review room" if self.home == "/room/" else HOME_CARDS


OFFICER_CARDS = {"Open escalation cases": "1", "Erasures waiting on a legal hold": "0", "Audit log": ""}
ROLES = [  # in this order, so the first to open a shared page (Quality, Audit log) sees the most on it
    Role("reviewer", "/room/", "/room/quality/"),
    Role("qa_lead", "/", "/accounts/manage/", {"Disputed transcripts": "1"}),
    Role("vendor_manager", "/", "/audit/", {"People": "6", "Recertification due": "1"}),
    Role("controller_admin", "/", "/privacy/access-report/", {"Vendors": "2", "Sites": "1", "Recordings waiting": "0"}),
    Role("privacy_officer", "/", "/accounts/manage/", OFFICER_CARDS),
    Role("escalation_staff", "/", "/accounts/controller/vendors/new/", OFFICER_CARDS),
    Role("auditor", "/", "/escalation/", {"Audit log": "", "Verify": "", "Checkpoints": ""}),
]


def person(username, role, organisation, *, site=None):
    """A signed-up person with a password and a confirmed authenticator (TOTP)."""
    user = User.objects.create(username=username, role=role, organisation=organisation, site=site,
                               email=f"{username}@example.test", totp_secret=pyotp.random_base32(), totp_confirmed=True)
    user.set_password(PASSWORD)
    user.pseudonym = user_pseudonym(user.pk)
    user.save()
    return user


@pytest.fixture
def world(controller, vendor, site, make_reviewer, settings):
    """A controller with an approved vendor (site in Leeds) and a vendor awaiting approval; one
    person of every role; a disputed transcript (two overlapping reviewers disagree), an open
    escalation case, snippets waiting for the reviewer, a signed audit checkpoint."""
    from quietroom.accounts import vetting
    from quietroom.audit import checkpoints

    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_GOLD_RATE": 0.0, "REVIEW_OVERLAP_FRACTION": 1.0,
                          "REVIEW_OVERLAP_K": 2}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    now = timezone.now()
    Organisation.objects.create(name="Vendor B", kind="vendor", controller=controller)  # not approved yet
    people = {
        "reviewer": make_reviewer("rita"),
        "vendor_manager": person("vera", "vendor_manager", vendor),
        "qa_lead": person("quinn", "qa_lead", vendor, site=site),
        "controller_admin": person("carl", "controller_admin", controller),
        "privacy_officer": person("olivia", "privacy_officer", controller),
        "escalation_staff": person("oscar", "privacy_officer", controller),
        "auditor": person("audrey", "auditor", controller),
    }
    vetting.record_all(people["qa_lead"], now=now, performed_by="test fixture")
    set_on_call(people["escalation_staff"], True)

    # Two reviewers hear the same snippet and disagree: the QA lead's disputed transcript.
    make_snippets(controller, 1, seconds=3.0, hypothesis="set a timer")
    anna, bert = make_reviewer("anna"), make_reviewer("bert")
    for reviewer, heard in ((anna, "set a timer for ten minutes"), (bert, "set the time for two minutes")):
        submit(reviewer, queue.next_task(reviewer, now).pk, heard, f"key-{reviewer.username}", now=now)
    assert Agreement.objects.filter(needs_adjudication=True).count() == 1
    User.objects.filter(pk=bert.pk).update(access_certified_until=now + timedelta(days=12))  # recertify soon

    # A reviewer flags the next snippet: an open case for the controller's escalation staff.
    make_snippets(controller, 1, seconds=3.0, hypothesis="i will find you")
    dave = make_reviewer("dave")
    submit(dave, queue.next_task(dave, now).pk, "i will find you", "key-dave", now=now,
           labels={"sensitive": "threat"}, sensitive_note="a man threatens the person he is calling")
    assert Case.objects.filter(status="open").count() == 1

    make_snippets(controller, 2, seconds=3.0, hypothesis="what is the weather tomorrow")  # the reviewer's work
    checkpoints.write_checkpoint()
    return people


@pytest.fixture
def new_page(browser):
    contexts = []

    def make():
        contexts.append(browser.new_context(viewport=VIEWPORT))
        return contexts[-1].new_page()

    yield make
    for context in contexts:
        context.close()


def menu_of(page) -> list[tuple[str, str]]:
    return [tuple(link) for link in page.eval_on_selector_all(
        "header nav a", "links => links.map(a => [a.id, a.getAttribute('href')])")]


def home_cards(page) -> dict[str, str]:
    return dict(page.eval_on_selector_all("#home-cards .card", """cards => cards.map(card => [
        card.querySelector("h2").innerText, card.querySelector(".value")?.innerText ?? ""])"""))


def follow(page, link_id: str) -> int:
    """Click a menu link; the status of the page it opens."""
    with page.expect_response(lambda r: r.request.is_navigation_request() and r.request.frame == page.main_frame) as answer:
        page.click(f"header nav #{link_id}")
    page.wait_for_load_state("domcontentloaded")
    return answer.value.status


@pytest.mark.parametrize("role", ROLES, ids=[r.key for r in ROLES])
def test_each_role_lands_home_opens_every_menu_link_and_is_refused_in_the_layout(
        role, world, live_server, new_page, artifacts):
    user = world[role.key]
    page = new_page()
    sign_in(page, live_server, user, landing=role.landing)
    assert urlparse(page.url).path == role.home
    if role.home == "/room/":  # the reviewer's day and the button to the next snippet
        assert "snippets waiting in your languages" in page.inner_text("#progress") and page.is_visible("#next")
    else:  # every card filled from the world above, none empty
        assert home_cards(page) == role.cards
    page.screenshot(path=artifacts / f"home-{role.key}.png", full_page=True)
    assert_accessible(page, f"home-{role.key}", artifacts)

    # The menu is the permission-filtered MENU, then Notices; nothing in it is refused.
    menu = menu_of(page)
    assert [href for _, href in menu] == [link["url"] for link in menu_for(user)] + ["/accounts/notices/"]
    assert role.forbidden not in dict(menu).values()
    for link_id, href in menu:
        assert follow(page, link_id) == 200, (role.key, href)
        assert urlparse(page.url).path == href
        assert page.get_attribute(f"header nav #{link_id}", "aria-current") == "page", href
        if href != role.home and href not in AXE_CHECKED:
            AXE_CHECKED.add(href)
            assert_accessible(page, f"{role.key}{href.rstrip('/').replace('/', '-')}", artifacts)

    refused = page.goto(live_server.url + role.forbidden)
    assert refused.status == 403
    assert page.inner_text("#refusal-reason") == REFUSAL
    assert page.inner_text("h1") == "Not allowed"
    assert menu_of(page) == menu  # the way on: the same menu
    if "403" not in AXE_CHECKED:
        AXE_CHECKED.add("403")
        assert_accessible(page, f"{role.key}-refused", artifacts)


def test_the_task_page_and_an_escalation_case_have_no_serious_accessibility_violation(
        world, live_server, new_page, artifacts):
    reviewer = new_page()
    sign_in(reviewer, live_server, world["reviewer"])
    reviewer.click("#next")
    reviewer.wait_for_selector("#player", state="attached")  # the one player: no native controls shown
    reviewer.wait_for_function("() => document.getElementById('wave').dataset.decoded === '1'", timeout=15000)
    assert_accessible(reviewer, "review-task", artifacts)

    staff = new_page()
    sign_in(staff, live_server, world["escalation_staff"], landing=HOME_CARDS)
    follow(staff, "nav-escalation")
    case = Case.objects.get()
    staff.click(f"tr[data-case='{case.pk}'] a")
    staff.wait_for_selector("#case-note")
    staff.screenshot(path=artifacts / "escalation-case.png", full_page=True)
    assert_accessible(staff, "escalation-case", artifacts)
