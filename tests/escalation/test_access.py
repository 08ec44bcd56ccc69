"""Nobody at a vendor — reviewer, QA lead, its manager — and no other controller's officer can
open an escalated case, its note or its audio, on any escalation route."""
from __future__ import annotations

import pytest

from quietroom import gate
from quietroom.audit.models import AuditEvent
from quietroom.escalation import cases
from quietroom.escalation.models import Case, LegalHold, Proposal

from .conftest import client_for

pytestmark = pytest.mark.django_db

OUTSIDERS = [
    ("reviewer", "vendor"), ("qa_lead", "vendor"), ("vendor_manager", "vendor"),
    ("controller_admin", "controller"), ("auditor", "controller"),
    ("privacy_officer", "other_controller"), ("privacy_officer", "vendor"),
]


def routes(case, proposal, hold):
    return [
        ("get", "/escalation/"), ("get", f"/escalation/case/{case.pk}/"), ("get", f"/escalation/case/{case.pk}/audio"),
        ("get", f"/escalation/case/{case.pk}/timeline/"),
        ("post", f"/escalation/case/{case.pk}/propose/"), ("post", f"/escalation/proposal/{proposal.pk}/confirm/"),
        ("post", f"/escalation/proposal/{proposal.pk}/reject/"), ("post", f"/escalation/hold/{hold.pk}/release/"),
        ("post", "/escalation/on-call/"),
    ]


@pytest.fixture
def world(flagged, make_officer, controller, vendor):
    """A case with a pending referral, and a second case under a confirmed hold."""
    from quietroom.accounts.models import Organisation

    first, second = make_officer("olivia"), make_officer("oscar")
    case = flagged["case"]
    # A hold on the same case id space: build a second held case cheaply by holding this one...
    proposal = cases.propose(first, case, "legal_hold", "keep for the police")
    cases.confirm(second, proposal)
    hold = LegalHold.objects.get()
    # ...and then a pending proposal on a copy of the case (same snippet, new id).
    twin = Case.objects.create(controller=controller, snippet=case.snippet, snippet_ref=case.snippet_ref,
                               customer_pseudonym=case.customer_pseudonym, category="crime", severity="medium",
                               reported_at=case.reported_at, deadline_at=case.deadline_at)
    pending = cases.propose(first, twin, "referral", "refer", referred_to="Police", policy_reference="§1")
    other = Organisation.objects.create(name="Other Controller", kind="controller")
    orgs = {"vendor": vendor, "controller": controller, "other_controller": other}
    return {"case": case, "twin": twin, "proposal": pending, "hold": hold, "orgs": orgs, "make": make_officer}


def test_outsiders_reach_no_escalation_route(world):
    """One world, every outsider (the fixture is the slow part)."""
    for role, where in OUTSIDERS:
        _outsider_reaches_nothing(world, role, where)


def _outsider_reaches_nothing(world, role, where):
    user = world["make"](f"{role}-{where}", org=world["orgs"][where], role=role)
    client = client_for(user)
    staff_elsewhere = role == "privacy_officer" and where == "other_controller"
    before = (Case.objects.values_list("pk", "status", "decision"), Proposal.objects.values_list("pk", "state"),
              LegalHold.objects.values_list("pk", "released_at"))
    before = tuple(list(q) for q in before)
    plays_before = AuditEvent.objects.filter(action="snippet.play", outcome="ok").count()
    for case in (world["case"], world["twin"]):
        for method, url in routes(case, world["proposal"], world["hold"]):
            data = {"decision": "no_action", "reason": "x", "on_call": "1"} if method == "post" else None
            response = getattr(client, method)(url, data) if data else client.get(url)
            if staff_elsewhere and url in ("/escalation/", "/escalation/on-call/"):
                # Their own controller's (empty) queue; nothing of this controller in it.
                assert response.status_code in (200, 302)
                assert str(case.pk).encode() not in response.content
                continue
            assert response.status_code in (403, 404), (role, where, url, response.status_code)
            assert b"RIFF" not in response.content and b"shouting" not in response.content
    after = tuple(list(q) for q in (Case.objects.values_list("pk", "status", "decision"),
                                    Proposal.objects.values_list("pk", "state"),
                                    LegalHold.objects.values_list("pk", "released_at")))
    assert after == before
    assert AuditEvent.objects.filter(action="snippet.play", outcome="ok").count() == plays_before
    if not staff_elsewhere:  # refusals by role are audited; another tenant's ids are simply not found
        assert AuditEvent.objects.filter(action="access.denied", actor=user.username).exists()


def test_the_gate_refuses_outsiders_directly(world):
    for role, where in OUTSIDERS:
        _gate_refuses(world, role, where)


def _gate_refuses(world, role, where):
    user = world["make"](f"g-{role}-{where}", org=world["orgs"][where], role=role)
    case = Case.objects.get(pk=world["case"].pk)
    with pytest.raises(gate.AccessDenied):
        gate.snippet_audio_for_escalation(user, case, address="127.0.0.1")
    with pytest.raises(gate.AccessDenied):
        gate.escalation_note_for_staff(user, case, address="127.0.0.1")
    denied = AuditEvent.objects.filter(actor=user.username, outcome="denied", purpose="escalation review")
    assert set(denied.values_list("action", flat=True)) == {"snippet.play", "escalation_note.read"}


def test_staff_of_the_controller_can_play_and_each_play_is_audited(world):
    officer = world["make"]("olga")
    client = client_for(officer)
    response = client.get(f"/escalation/case/{world['case'].pk}/audio", HTTP_RANGE="bytes=0-43")
    assert response.status_code == 206 and response.content[:4] == b"RIFF"
    assert response["Cache-Control"] == "no-store, private"
    play = AuditEvent.objects.filter(action="snippet.play", outcome="ok", actor="olga").get()
    assert play.purpose == "escalation review" and play.details["case"] == str(world["case"].pk)
    page = client.get("/escalation/").content.decode()
    assert str(world["twin"].pk) in page  # the pending one is in the queue


def test_one_view_of_the_case_page_is_one_play_however_many_requests_fetch_its_audio(world):
    """As in the room (docs/audit.md): the case page names its view in the audio link; the first
    request of the view is the play, the player's range requests are further bytes of it."""
    import re
    from html import unescape

    officer = world["make"]("olga")
    client = client_for(officer)
    case = world["case"]

    def audio_link():
        page = client.get(f"/escalation/case/{case.pk}/").content.decode()
        return unescape(re.search(r'<audio id="case-player"[^>]* src="([^"]+)"', page).group(1))

    link = audio_link()
    assert link.startswith(f"/escalation/case/{case.pk}/audio?view=")
    assert client.get(link, HTTP_RANGE="bytes=0-43").status_code == 206
    assert client.get(link, HTTP_RANGE="bytes=44-99").status_code == 206
    mine = AuditEvent.objects.filter(actor="olga", outcome="ok", purpose="escalation review").order_by("seq")
    assert list(mine.values_list("action", flat=True).filter(action__startswith="snippet.")) == [
        "snippet.play", "snippet.stream"]
    assert all(e.details["case"] == str(case.pk) for e in mine.filter(action__startswith="snippet."))
    # The page opened again: a new view, a new play. A view token of another case or officer
    # names no view, so its request is a play of its own (never folded into someone's play).
    assert client.get(audio_link(), HTTP_RANGE="bytes=0-43").status_code == 206
    other = client_for(world["make"]("otto")).get(link, HTTP_RANGE="bytes=0-43")
    assert other.status_code == 206
    plays = AuditEvent.objects.filter(action="snippet.play", outcome="ok", purpose="escalation review")
    assert plays.filter(actor="olga").count() == 2 and plays.filter(actor="otto").count() == 1
    assert "view" not in plays.get(actor="otto").details


def test_vendor_reviewers_never_see_the_escalated_snippet_again(world, make_reviewer):
    from django.utils import timezone

    from quietroom.review import queue

    assert queue.next_task(make_reviewer("newbie"), timezone.now()) is None
