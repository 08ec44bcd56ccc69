"""Where people may work from: approved vendors, approved countries, site networks, remote work."""
from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from quietroom.accounts import services
from quietroom.accounts.models import Organisation, User
from quietroom.audit.models import AuditEvent
from tests.accounts.conftest import signed_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

HOME = "198.51.100.23"


def password_step(user, address):
    return Client(REMOTE_ADDR=address).post("/accounts/login/", {"username": user.username, "password": PASSWORD})


def test_working_from_home_is_refused_unless_the_controller_allows_remote_work(make_reviewer, vendor, controller_admin):
    user = make_reviewer("homeworker")
    refused = password_step(user, HOME)
    assert refused.status_code == 401 and b"assigned site" in refused.content
    services.update_vendor(controller_admin, vendor, approved=True, countries=["GB"], remote_work=True)
    assert password_step(user, HOME).status_code == 302
    services.update_vendor(controller_admin, vendor, approved=True, countries=["GB"], remote_work=False)
    assert password_step(user, HOME).status_code == 401


def test_people_of_a_vendor_whose_approval_is_withdrawn_are_signed_out_and_refused(make_reviewer, vendor, controller_admin):
    user = make_reviewer("unapproved")
    session = signed_in(user)
    services.update_vendor(controller_admin, vendor, approved=False, countries=["GB"], remote_work=False)
    assert session.get("/room/").status_code == 302
    response = password_step(user, "127.0.0.1")
    assert response.status_code == 401 and b"not an approved vendor" in response.content
    assert AuditEvent.objects.filter(action="login.password", outcome="denied", actor=user.username).exists()


def test_a_site_outside_the_vendors_approved_countries_is_refused(make_reviewer, vendor):
    user = make_reviewer("abroad")
    Organisation.objects.filter(pk=vendor.pk).update(approved_countries=["IE"])
    response = password_step(user, "127.0.0.1")
    assert response.status_code == 401 and b"country approved" in response.content


def test_a_reviewer_at_another_vendors_site_network_is_still_refused(make_reviewer, vendor_b, site_b):
    from quietroom.accounts.models import Site

    user = make_reviewer("wrongsite")
    Site.objects.filter(pk=user.site_id).update(networks=["192.0.2.0/24"])
    # The address is inside vendor B's site (loopback), not inside the reviewer's own site.
    assert password_step(user, "127.0.0.1").status_code == 401


def test_vendor_managers_are_not_bound_to_a_site_network(manager_a):
    assert password_step(manager_a, HOME).status_code == 302


def test_recovery_codes_are_hashed_and_work_once(make_reviewer):
    from quietroom.accounts.models import RecoveryCode

    user = make_reviewer("recover")
    client = signed_in(user)
    page = client.post("/accounts/security/recovery-codes/")
    import re

    codes = re.findall(r"<li>([a-z2-7]{5}-[a-z2-7]{5})</li>", page.content.decode())
    assert len(codes) == 10
    stored = list(RecoveryCode.objects.filter(user=user).values_list("code_hash", flat=True))
    assert len(stored) == 10 and not any(c in h or c.replace("-", "") in h for c in codes for h in stored)
    fresh = Client()
    fresh.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert fresh.post("/accounts/login/verify/", {"code": codes[0].upper()}).status_code == 302
    again = Client()
    again.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert again.post("/accounts/login/verify/", {"code": codes[0]}).status_code == 401
    assert AuditEvent.objects.filter(action="recovery_code.used", actor=user.username).count() == 1
    assert User.objects.get(pk=user.pk).last_login <= timezone.now()


def test_cookies_are_samesite_httponly_and_pages_carry_security_headers(make_reviewer):
    user = make_reviewer("headers")
    client = signed_in(user)
    cookie = client.cookies["sessionid"]
    assert cookie["samesite"] == "Strict" and cookie["httponly"]
    response = client.get("/accounts/security/")
    assert response["X-Content-Type-Options"] == "nosniff" and response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert "<script>" not in response.content.decode() and " onclick=" not in response.content.decode()
