"""Escalations reach someone (issue 15, finding 3): every new case is an in-app notice for each
of the controller's escalation staff and one e-mail per officer with an address (no content);
the officers' menu links to the queue; the case page makes the officer choose a decision."""
from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.core import mail
from django.utils import timezone

from quietroom.accounts.models import Notice
from quietroom.escalation.models import Case
from quietroom.review.submissions import submit
from tests.review.factories import make_snippets

from .conftest import client_for, next_for

pytestmark = pytest.mark.django_db

NOTE = "the caller said her name was Jane Smith and he hit her"
TRANSCRIPT = "please stop hurting me"


def _open_case(controller, reviewer, capture):
    """A case opened through the room's own submission, its after-commit notices sent."""
    tasks = make_snippets(controller, 1, hypothesis="hello there")
    task = next_for(reviewer)
    assert task is not None and task.snippet_id == tasks[0].snippet_id
    with capture(execute=True):
        submit(reviewer, task.pk, TRANSCRIPT, "reach-1", now=timezone.now(), labels={"sensitive": "violence_abuse"},
               sensitive_note=NOTE)
    return Case.objects.get()


def test_a_new_case_is_a_notice_for_every_officer_and_one_email_per_address(
        controller, make_officer, make_reviewer, django_capture_on_commit_callbacks):
    olivia, oscar = make_officer("olivia"), make_officer("oscar")
    omar = make_officer("omar", email="")  # no address: told in the app only
    auditor = make_officer("audrey", role="auditor")  # not escalation staff
    mail.outbox.clear()
    case = _open_case(controller, make_reviewer("rita"), django_capture_on_commit_callbacks)

    for officer in (olivia, oscar, omar):
        (notice,) = Notice.objects.filter(user=officer)
        assert f"/escalation/case/{case.pk}/" in notice.message and case.severity in notice.message
    assert not Notice.objects.filter(user=auditor).exists()

    # One message per officer (nobody sees who else was told), none for the officer without one.
    assert sorted(m.to[0] for m in mail.outbox) == [olivia.email, oscar.email]
    assert all(len(m.to) == 1 and not m.cc and not m.bcc for m in mail.outbox)
    customer_id = f"cust-{controller.pk}-0"
    for text in [m.subject + m.body for m in mail.outbox] + [n.message for n in Notice.objects.all()]:
        for leaked in (NOTE, "Jane", "hit her", TRANSCRIPT, "hurting", customer_id, case.customer_pseudonym,
                       "violence", "Violence", "abuse", "rita"):
            assert leaked not in text
    assert all(f"https://quietroom.example/escalation/case/{case.pk}/" in m.body for m in mail.outbox)


def test_the_officers_notices_page_shows_the_case_and_the_menu_links_to_the_queue(
        controller, make_officer, make_reviewer, django_capture_on_commit_callbacks):
    officer = make_officer("olivia")
    reviewer = make_reviewer("rita")
    case = _open_case(controller, reviewer, django_capture_on_commit_callbacks)
    client = client_for(officer)
    page = client.get("/accounts/notices/").content.decode()
    assert f"/escalation/case/{case.pk}/" in page
    assert 'href="/escalation/"' in _nav(page)
    # Nobody else gets the link: not the reviewer, not an auditor at the controller.
    assert 'href="/escalation/"' not in _nav(client_for(reviewer).get("/accounts/notices/").content.decode())
    auditor = make_officer("audrey", role="auditor")
    assert 'href="/escalation/"' not in _nav(client_for(auditor).get("/accounts/notices/").content.decode())


def _nav(page: str) -> str:
    return page[page.index('<nav class="nav">'):page.index("</nav>")]


class _DecisionInputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("name") == "decision":
            self.inputs.append((tag, attrs))


def test_no_decision_is_chosen_for_the_officer(flagged, make_officer):
    case = flagged["case"]
    client = client_for(make_officer("olivia"))
    parser = _DecisionInputs()
    parser.feed(client.get(f"/escalation/case/{case.pk}/").content.decode())
    values = sorted(attrs.get("value") for _, attrs in parser.inputs)
    assert values == sorted(Case.Decision.values)
    for tag, attrs in parser.inputs:
        assert "checked" not in attrs and "selected" not in attrs, (tag, attrs)


def test_an_empty_decision_is_refused_with_a_clear_error(flagged, make_officer):
    case = flagged["case"]
    client = client_for(make_officer("olivia"))
    for posted in ({"reason": "nothing here"}, {"decision": "", "reason": "nothing here"}):
        response = client.post(f"/escalation/case/{case.pk}/propose/", posted, follow=True)
        assert b"Choose a decision" in response.content
    case.refresh_from_db()
    assert case.status == "open" and case.decision == "" and not case.proposals.exists()
    assert case.snippet.wrapped_dek is not None  # nothing was deleted
