"""A vendor that is not approved (never, or no longer) onboards nobody and gets no work and no
content: approval is part of the reviewer's standing in the eligibility policy, and of
invitation acceptance; withdrawing it revokes the vendor's open links."""
from __future__ import annotations

import re
from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone as dj_timezone

from quietroom.accounts import services
from quietroom.accounts.invitations import create_invitation
from quietroom.accounts.models import Invitation, Organisation, Site, User
from quietroom.audit.models import AuditEvent
from quietroom.review.eligibility import History, Limits, PolicyFacts, Residency, decide
from quietroom.review.models import Submission, Task
from tests.accounts.conftest import signed_in
from tests.conftest import PASSWORD
from tests.review.factories import make_snippets

NOT_APPROVED = "vendor organisation is not approved (never approved, or approval withdrawn)"


def test_the_policy_refuses_a_reviewer_of_an_unapproved_vendor():
    from quietroom.accounts.access import vendor_reasons
    from tests.review.test_eligibility import VETTED

    now = datetime(2026, 5, 1, tzinfo=timezone.utc)
    facts = PolicyFacts(residency=Residency(), limits=Limits(daily_cap_seconds=3600, max_per_customer_30d=3),
                        history=History())
    task = SimpleNamespace(id="t1", locale="en-GB", status="queued", region="GB", sensitivity="standard",
                           duration_seconds=5.0, snippet_id="s1", recording_id="r1", customer_key_id=7)

    def reviewer(org):
        return SimpleNamespace(is_active=True, role="reviewer", has_second_factor=True, site_id=1, locales=["en-GB"],
                               vetting_state=VETTED, vendor_state=org)

    site = SimpleNamespace(id=1, country="GB")
    approved = SimpleNamespace(kind="vendor", approved_at=now)
    assert decide(reviewer(approved), site, task, now, facts).allowed
    assert decide(reviewer(SimpleNamespace(kind="vendor", approved_at=None)), site, task, now, facts).reasons == (
        NOT_APPROVED,)
    assert decide(reviewer(None), site, task, now, facts).reasons == ("not a member of any organisation",)
    assert vendor_reasons(SimpleNamespace(vendor_state=SimpleNamespace(kind="controller", approved_at=None))) == []


@pytest.mark.django_db
def test_an_unapproved_vendors_invitation_onboards_nobody_until_it_is_approved(controller):
    vendor_c = Organisation.objects.create(name="Vendor C", kind="vendor", controller=controller,
                                           approved_countries=["GB"])
    site_c = Site.objects.create(organisation=vendor_c, name="Hull", country="GB", networks=["127.0.0.0/8"])
    _, token = create_invitation(organisation=vendor_c, username="newcomer", role="reviewer", site=site_c,
                                 locales=["en-US"])
    client = Client()
    page = client.get(f"/accounts/invite/{token}/")
    assert page.status_code == 403 and b"not an approved vendor" in page.content and b'name="password"' not in page.content
    post = client.post(f"/accounts/invite/{token}/", {"password": PASSWORD, "confirm": PASSWORD})
    assert post.status_code == 403
    assert not User.objects.filter(username="newcomer").exists()
    assert Invitation.objects.get(username="newcomer").used_at is None
    assert client.get("/accounts/enrol/").status_code == 302  # nothing to enrol
    refusals = AuditEvent.objects.filter(action="invitation.accepted", outcome="denied")
    assert refusals.count() == 2 and refusals.first().details["reason"] == NOT_APPROVED
    # Once the controller approves the vendor, the same (unexpired) link works.
    Organisation.objects.filter(pk=vendor_c.pk).update(approved_at=dj_timezone.now())
    accepted = client.post(f"/accounts/invite/{token}/", {"password": PASSWORD, "confirm": PASSWORD})
    assert accepted.status_code == 302 and accepted["Location"].endswith("/accounts/enrol/")


@pytest.mark.django_db
def test_withdrawing_a_vendor_leaves_its_invitation_links_unusable(vendor, site, controller_admin):
    _, token = create_invitation(organisation=vendor, username="latecomer", role="reviewer", site=site)
    assert Client().get(f"/accounts/invite/{token}/").status_code == 200
    services.update_vendor(controller_admin, vendor, approved=False, countries=["GB"], remote_work=False)
    assert Client().get(f"/accounts/invite/{token}/").status_code == 404
    event = AuditEvent.objects.filter(action="vendor.updated").latest("seq")
    assert event.details["invitations_revoked"] == 1
    # Approving the vendor again does not bring the old link back.
    services.update_vendor(controller_admin, vendor, approved=True, countries=["GB"], remote_work=False)
    response = Client().post(f"/accounts/invite/{token}/", {"password": PASSWORD, "confirm": PASSWORD})
    assert response.status_code == 404 and not User.objects.filter(username="latecomer").exists()


@pytest.mark.django_db
def test_a_reviewer_whose_vendor_is_not_approved_gets_no_work_and_no_content(controller, vendor, make_reviewer):
    make_snippets(controller, 2, hypothesis="turn on the lights")
    user, waiting = make_reviewer(), make_reviewer("otto")
    client, other = signed_in(user), signed_in(waiting)
    response = client.post("/room/next/")
    task_url = response["Location"]
    page = client.get(task_url).content.decode()
    stream = re.search(r'src="(/room/stream/[^"]+)"', page).group(1)
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page).group(1)
    assert client.get(stream).status_code == 200
    # Approval gone behind the session's back (straight in the database, no session ended):
    # the policy alone refuses assignment, the audio, the text and the submission.
    Organisation.objects.filter(pk=vendor.pk).update(approved_at=None)
    assert client.get(stream).status_code == 403
    denied = AuditEvent.objects.get(action="snippet.play", outcome="denied", actor=user.username)
    assert NOT_APPROVED in denied.details["reasons"]
    text = client.get(task_url)
    assert text.status_code == 403 and b"turn on the lights" not in text.content
    submitted = client.post(task_url, {"transcript": "turn on the lights", "idempotency_key": key})
    assert submitted.status_code == 400 and NOT_APPROVED.encode() in submitted.content
    assert not Submission.objects.filter(reviewer=user).exists()
    room = other.post("/room/next/")  # a colleague holding nothing is given nothing
    assert room.status_code == 200 and not Task.objects.filter(lease_owner=waiting).exists()
    assert NOT_APPROVED.encode() in other.get("/room/").content  # the banner says why
