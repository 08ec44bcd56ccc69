"""Roles are permission sets checked on the server for every view; nothing is open by accident."""
from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client

from quietroom.accounts import permissions
from quietroom.accounts.models import Organisation, Site, User
from quietroom.audit.models import AuditEvent
from tests.accounts.conftest import make_user
from tests.accounts.test_tenant_isolation import PARAM, fill, routes

pytestmark = pytest.mark.django_db

# Routes anyone may reach without signing in: the sign-in steps themselves and onboarding links.
PUBLIC = {"login", "verify", "invitation", "enrol", "webauthn_login_options", "webauthn_login_verify",
          "webauthn_register_options", "webauthn_register_verify", "home", None,
          # Operations probes for load balancers and monitoring (the ops app owns what they expose).
          "healthz", "readyz", "metrics",
          # The published OpenAPI schema and its docs page describe the API; every call needs a token.
          "api-docs", "openapi-json", "api-root"}


def test_every_role_is_a_permission_set():
    assert set(permissions.ROLE_PERMISSIONS) == {r.value for r in User.Role}
    assert permissions.DO_REVIEW in permissions.ROLE_PERMISSIONS["reviewer"]
    assert permissions.MANAGE_PEOPLE not in permissions.ROLE_PERMISSIONS["reviewer"]
    assert permissions.MANAGE_VENDORS not in permissions.ROLE_PERMISSIONS["vendor_manager"]
    assert permissions.MANAGE_PEOPLE not in permissions.ROLE_PERMISSIONS["auditor"]


def test_a_disabled_account_has_no_permissions(vendor):
    user = make_user("off", vendor, "vendor_manager", is_active=False)
    assert permissions.permissions_of(user) == frozenset()


def test_no_page_is_served_to_an_anonymous_visitor_unless_it_is_a_sign_in_step(vendor):
    anonymous = Client()
    checked = 0
    for route, name in routes():
        if name in PUBLIC or route.startswith("static"):
            continue
        url = fill(route, "1") if PARAM.search(route) else "/" + route
        for method in ("get", "post"):
            response = getattr(anonymous, method)(url)
            checked += 1
            assert response.status_code in (302, 401, 403, 404, 405), f"{method.upper()} {url} ({name}) -> {response.status_code}"
            if response.status_code == 302:
                assert "/accounts/login/" in response["Location"], f"{url} redirects to {response['Location']}"
    assert checked > 20


def test_a_reviewer_cannot_open_manager_or_controller_pages(make_reviewer, vendor):
    reviewer = make_reviewer("nosy")
    client = Client()
    client.force_login(reviewer)
    for url in ("/accounts/manage/", "/accounts/manage/people/new/", "/accounts/controller/",
                "/accounts/controller/vendors/new/", "/accounts/controller/sites/new/",
                f"/accounts/manage/people/{reviewer.pk}/", f"/accounts/controller/vendors/{vendor.pk}/"):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/accounts/manage/people/{reviewer.pk}/languages/", {"locales": "fr-FR"}).status_code == 403
    assert User.objects.get(pk=reviewer.pk).locales == ["en-US"]
    assert AuditEvent.objects.filter(action="access.denied", actor="nosy", outcome="denied").count() >= 8


def test_an_auditor_may_look_at_vendors_but_change_nothing(controller, vendor):
    auditor = make_user("auditor", controller, "auditor")
    client = Client()
    client.force_login(auditor)
    assert client.get("/accounts/controller/").status_code == 200
    assert client.post(f"/accounts/controller/vendors/{vendor.pk}/", {"approved": "", "countries": "FR"}).status_code == 403
    vendor.refresh_from_db()
    assert vendor.approved_countries == ["GB"] and vendor.approved_at is not None


def test_nobody_can_set_or_see_a_password_for_someone_else(manager_a, controller_admin, vendor, site):
    """People are created without a usable password; no page has a password field but one's own."""
    manager = Client()
    manager.force_login(manager_a)
    page = manager.get("/accounts/manage/people/new/")
    assert b'type="password"' not in page.content
    response = manager.post("/accounts/manage/people/new/", {
        "username": "fresh", "first_name": "Fre", "last_name": "Sh", "role": "reviewer", "site": site.pk,
        "locales": "en-GB", "password": "planted password 123456", "password1": "planted password 123456"})
    assert response.status_code == 302
    fresh = User.objects.get(username="fresh")
    assert not fresh.has_usable_password() and not fresh.check_password("planted password 123456")
    for url in (f"/accounts/manage/people/{fresh.pk}/", "/accounts/manage/"):
        assert b'type="password"' not in manager.get(url).content
    admin = Client()
    admin.force_login(controller_admin)
    for url in ("/accounts/controller/", f"/accounts/controller/vendors/{vendor.pk}/"):
        assert b'type="password"' not in admin.get(url).content
    invite = manager.post(f"/accounts/manage/people/{fresh.pk}/invite/")
    assert re.search(rb"/accounts/invite/[\w-]{20,}/", invite.content)
    assert not mail.outbox  # nothing is mailed, least of all a password
    assert "django.contrib.admin" not in settings.INSTALLED_APPS  # no admin site that could set one


def test_there_is_no_signup_without_an_invitation():
    client = Client()
    for url in ("/accounts/signup/", "/accounts/register/", "/accounts/invite/not-a-real-token/"):
        assert client.get(url).status_code == 404
    assert client.post("/accounts/invite/not-a-real-token/", {"password": "x" * 20, "confirm": "x" * 20}).status_code == 404
    assert not User.objects.exists()


def test_an_invitation_from_one_vendor_cannot_take_over_another_vendors_account(vendor, site, vendor_b, site_b):
    from quietroom.accounts.invitations import create_invitation

    victim = User.objects.create(username="victim-b", organisation=vendor_b, site=site_b, role="reviewer")
    victim.set_unusable_password()
    victim.save()
    _, token = create_invitation(organisation=vendor, username="victim-b", role="reviewer", site=site)
    response = Client().post(f"/accounts/invite/{token}/", {"password": "a long passphrase here", "confirm": "a long passphrase here"})
    assert response.status_code == 400
    victim.refresh_from_db()
    assert victim.organisation_id == vendor_b.pk and not victim.has_usable_password()


def test_controller_admin_approves_vendors_and_sites_only_in_approved_countries(controller_admin, controller):
    client = Client()
    client.force_login(controller_admin)
    assert client.post("/accounts/controller/vendors/new/", {"name": "Vendor C", "countries": "GB, ie"}).status_code == 302
    vendor_c = Organisation.objects.get(name="Vendor C")
    assert vendor_c.controller_id == controller.pk and vendor_c.approved_at is None and vendor_c.approved_countries == ["GB", "IE"]
    bad = client.post("/accounts/controller/sites/new/", {"vendor": vendor_c.pk, "name": "Manila", "country": "PH",
                                                         "networks": "192.0.2.0/24"})
    assert bad.status_code == 400 and not Site.objects.filter(name="Manila").exists()
    invalid = client.post("/accounts/controller/sites/new/", {"vendor": vendor_c.pk, "name": "Dublin", "country": "IE",
                                                             "networks": "not-a-network"})
    assert invalid.status_code == 200 and not Site.objects.filter(name="Dublin").exists()
    ok = client.post("/accounts/controller/sites/new/", {"vendor": vendor_c.pk, "name": "Dublin", "country": "IE",
                                                        "networks": "192.0.2.0/24\n2001:db8::/32"})
    assert ok.status_code == 302
    assert Site.objects.get(name="Dublin").networks == ["192.0.2.0/24", "2001:db8::/32"]
    assert client.post(f"/accounts/controller/vendors/{vendor_c.pk}/", {"approved": "on", "countries": "GB, IE"}).status_code == 302
    vendor_c.refresh_from_db()
    assert vendor_c.approved_at is not None
    for action in ("vendor.added", "vendor.updated", "site.added"):
        assert AuditEvent.objects.filter(action=action, actor=controller_admin.username).exists(), action
