"""The site rule holds on every request, not only at the password step: enrolment signs
nobody in from outside the site, and a session carried off-site is refused (and audited)
on every page, stream and post, without ending anything else."""
from __future__ import annotations

import re

import pyotp
import pytest
from django.test import Client

from quietroom.accounts import services
from quietroom.accounts.invitations import create_invitation
from quietroom.accounts.models import Organisation, User
from quietroom.audit.models import AuditEvent
from tests.accounts.conftest import make_user, signed_in
from tests.conftest import PASSWORD
from tests.review.factories import make_snippets

OUTSIDE = "203.0.113.9"


def test_the_rule_names_roles_and_kinds_the_models_have():
    from quietroom.accounts.access import SITE_BOUND_ROLES, VENDOR

    assert set(SITE_BOUND_ROLES) == {User.Role.REVIEWER, User.Role.QA_LEAD}
    assert VENDOR == Organisation.Kind.VENDOR


@pytest.mark.django_db
def test_enrolment_from_outside_the_site_network_signs_nobody_in(site):
    _, token = create_invitation(organisation=site.organisation, username="faraway", role="reviewer", site=site,
                                 locales=["en-US"])
    client = Client(REMOTE_ADDR=OUTSIDE)
    accepted = client.post(f"/accounts/invite/{token}/", {"password": PASSWORD, "confirm": PASSWORD})
    assert accepted.status_code == 302 and accepted["Location"].endswith("/accounts/enrol/")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', client.get("/accounts/enrol/").content.decode()).group(1)
    response = client.post("/accounts/enrol/", {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 403 and b"assigned site" in response.content
    assert "_auth_user_id" not in client.session
    for method, url in (("get", "/room/"), ("post", "/room/next/")):
        refused = getattr(client, method)(url)
        assert refused.status_code == 302 and "/accounts/login/" in refused["Location"], url
    event = AuditEvent.objects.get(action="login.enrolment", outcome="denied", actor="faraway")
    assert event.address == OUTSIDE and "network" in event.details["reason"]
    # The factor stays enrolled (the person signs in at the site as usual); the enrolment page is gone.
    assert User.objects.get(username="faraway").has_second_factor
    assert client.get("/accounts/enrol/").status_code == 302


def take_task(client):
    response = client.post("/room/next/")
    assert response.status_code == 302, response.content[:300]
    page = client.get(response["Location"]).content.decode()
    return response["Location"], re.search(r'src="(/room/stream/[^"]+)"', page).group(1)


@pytest.mark.django_db
def test_a_session_opened_at_the_site_is_refused_off_site_on_every_request(controller, make_reviewer):
    make_snippets(controller, 2)
    user = make_reviewer()
    client = signed_in(user)  # at the site (127.0.0.1)
    task_url, stream = take_task(client)
    assert client.get(stream).status_code == 200
    attempts = [("get", "/room/"), ("post", "/room/next/"), ("get", task_url), ("get", stream),
                ("post", task_url), ("get", "/accounts/security/")]
    for method, url in attempts:
        response = getattr(client, method)(url, REMOTE_ADDR=OUTSIDE)
        assert response.status_code == 403 and b"assigned site" in response.content, (method, url)
        assert b"RIFF" not in response.content
    events = AuditEvent.objects.filter(action="access.denied", outcome="denied", actor=user.username)
    assert events.count() == len(attempts)
    assert {e.address for e in events} == {OUTSIDE} and all("network" in e.details["reason"] for e in events)
    assert AuditEvent.objects.filter(action="snippet.play", address=OUTSIDE).count() == 0
    # Nothing else was ended: back on the site network the same session and lease carry on.
    assert client.get("/room/").status_code == 200
    assert client.get(stream).status_code == 200
    # Off-site, the sign-in pages, health probes and static files still answer, and signing out works.
    for url in ("/accounts/login/", "/healthz", "/static/quietroom/quietroom.css"):
        assert client.get(url, REMOTE_ADDR=OUTSIDE).status_code == 200, url
    assert client.post("/accounts/logout/", REMOTE_ADDR=OUTSIDE).status_code == 302
    assert client.get("/room/").status_code == 302


@pytest.mark.django_db
def test_behind_a_trusted_proxy_the_forwarded_client_address_is_checked_on_every_request(make_reviewer, settings):
    settings.QUIETROOM_TRUSTED_PROXIES = ["10.0.0.5/32"]
    user = make_reviewer()
    client = signed_in(user, REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="127.0.0.7")
    assert client.get("/room/").status_code == 200
    # The client prepends a hop inside the site; the proxy appends the real, outside one.
    assert client.get("/room/", HTTP_X_FORWARDED_FOR="127.0.0.1, " + OUTSIDE).status_code == 403
    # Sent straight to the server (not through the proxy), a forged header is ignored.
    assert client.get("/room/", REMOTE_ADDR=OUTSIDE, HTTP_X_FORWARDED_FOR="127.0.0.1").status_code == 403
    assert list(AuditEvent.objects.filter(action="access.denied").values_list("address", flat=True)) == [OUTSIDE] * 2


@pytest.mark.django_db
def test_qa_leads_are_bound_too_and_remote_work_or_other_roles_are_not(make_reviewer, vendor, site, manager_a,
                                                                        controller_admin):
    lead = make_user("lead", vendor, "qa_lead", site=site, vetted=True)
    lead_client = signed_in(lead)
    assert lead_client.get("/room/quality/").status_code == 200
    assert lead_client.get("/room/quality/", REMOTE_ADDR=OUTSIDE).status_code == 403
    manager = signed_in(manager_a)
    assert manager.get("/accounts/manage/", REMOTE_ADDR=OUTSIDE).status_code == 200
    reviewer = signed_in(make_reviewer())
    services.update_vendor(controller_admin, vendor, approved=True, countries=["GB"], remote_work=True)
    assert reviewer.get("/room/", REMOTE_ADDR=OUTSIDE).status_code == 200


@pytest.mark.django_db
def test_refused_requests_do_not_keep_an_idle_session_alive(make_reviewer, settings):
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone

    settings.QUIETROOM_SESSION_RENEW_SECONDS = 0  # every request counts as activity
    client = signed_in(make_reviewer())
    key = client.session.session_key
    near_end = timezone.now() + timedelta(minutes=5)
    Session.objects.filter(session_key=key).update(expire_date=near_end)
    assert client.get("/room/", REMOTE_ADDR=OUTSIDE).status_code == 403
    assert Session.objects.get(session_key=key).expire_date == near_end
    assert client.get("/room/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date > near_end
