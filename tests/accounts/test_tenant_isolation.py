"""Vendor A's manager against vendor B's people, sites and work, over every route with an id.

Routes are enumerated from the URL configuration, so a route added later is attacked too.
Each id-bearing route is called with every id of vendor B's objects (GET and POST, with form
data that would change something); nothing of B may be shown or changed.
"""
from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from quietroom.accounts.invitations import create_invitation
from quietroom.accounts.models import Invitation, Notice, Site, User, VettingRecord, WebAuthnCredential
from quietroom.review import queue
from quietroom.review.models import Task

pytestmark = pytest.mark.django_db

PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
B_MARKERS = ("Vendor-B-Secret", "reviewer-b", "Cork", "Vendor B")
CHANGE_DATA = {
    "locales": "xx-XX", "kind": "nda", "performed_by": "intruder", "performed_on": "2026-01-01",
    "valid_until": "2030-01-01", "document_type": "passport", "reference": "X", "approved": "on",
    "countries": "GB", "remote_work": "on", "name": "hijacked", "country": "GB", "networks": "0.0.0.0/0",
    "username": "planted", "vendor": "1",
}


def routes(patterns=None, prefix=""):
    """Every URL pattern as (route string with converters, name)."""
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(entry, URLResolver):
            yield from routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.name


def id_routes():
    return [(route, name) for route, name in routes() if PARAM.search(route)]


def snapshot(vendor_b):
    """Everything of vendor B that an attack could change."""
    return {
        "users": sorted(User.objects.filter(organisation=vendor_b).values_list(
            "pk", "username", "first_name", "is_active", "locales", "password", "totp_secret", "nda_signed_until",
            "identity_verified_until", "access_certified_until", "offboarded_at", "current_session_key")),
        "sites": sorted(Site.objects.filter(organisation=vendor_b).values_list("pk", "name", "country", "networks")),
        "org": list(type(vendor_b).objects.filter(pk=vendor_b.pk).values_list(
            "name", "approved_at", "approved_countries", "remote_work_allowed")),
        "vetting": VettingRecord.objects.filter(user__organisation=vendor_b).count(),
        "invitations": sorted(Invitation.objects.filter(organisation=vendor_b).values_list("pk", "used_at", "revoked_at")),
        "tasks": sorted(Task.objects.filter(lease_owner__organisation=vendor_b).values_list("pk", "status", "lease_owner")),
    }


@pytest.fixture
def b_world(ingested, vendor_b, site_b, manager_b, reviewer_b):
    """Vendor B with a reviewer holding a task, a pending invitation, a notice and a key."""
    task = queue.next_task(reviewer_b, timezone.now())
    assert task is not None
    invitation, _ = create_invitation(organisation=vendor_b, username="pending-b", role="reviewer", site=site_b)
    notice = Notice.objects.create(user=reviewer_b, message="for Vendor-B-Secret eyes only")
    key = WebAuthnCredential.objects.create(user=reviewer_b, credential_id="b-key", public_key=b"x")
    ids = {
        "int": sorted(str(pk) for pk in {reviewer_b.pk, manager_b.pk, site_b.pk, vendor_b.pk, invitation.pk, notice.pk, key.pk,
                       *VettingRecord.objects.filter(user=reviewer_b).values_list("pk", flat=True)}),
        "uuid": [str(task.pk)],
        "str": ["b-key", str(task.pk)],
        "path": [str(task.pk)],
        "slug": ["b-key"],
    }
    return ids


def fill(route: str, value: str) -> str:
    path = PARAM.sub(value, route)
    return "/" + path.lstrip("^").rstrip("$")


def test_routes_are_enumerated_from_the_url_configuration():
    names = {name for _route, name in id_routes()}
    # The known object routes are found; any new one will be attacked by the test below.
    assert {"manage_person", "manage_person_offboard", "controller_vendor", "controller_site", "task"} <= names


def test_vendor_a_manager_cannot_read_or_change_vendor_b_through_any_id(manager_a, vendor_b, b_world):
    attacker = Client()
    attacker.force_login(manager_a)
    before = snapshot(vendor_b)
    tried = 0
    for route, name in id_routes():
        converters = {m.group("conv") or "str" for m in PARAM.finditer(route)}
        values = [v for conv in converters for v in b_world.get(conv, [])]
        for value in values:
            url = fill(route, value)
            for method in ("get", "post"):
                response = getattr(attacker, method)(url, CHANGE_DATA if method == "post" else None)
                tried += 1
                body = response.content.decode("utf-8", "replace") if response.get("Content-Type", "").startswith(("text/", "application/json")) else ""
                leaked = [m for m in B_MARKERS if m in body]
                assert not leaked, f"{method.upper()} {url} ({name}) showed {leaked}"
                assert response.status_code in (302, 400, 401, 403, 404, 405, 409, 410, 429), f"{method.upper()} {url} ({name}) -> {response.status_code}"
                if response.status_code == 302:
                    assert "/accounts/login/" not in response["Location"] or name == "logout"
        assert snapshot(vendor_b) == before, f"{route} changed vendor B's data"
    assert tried > 50
    # The attack is not vacuous: the same pages work for the manager's own people.
    own = User.objects.create(username="own-person", organisation=manager_a.organisation, role="reviewer")
    assert attacker.get(f"/accounts/manage/people/{own.pk}/").status_code == 200


def test_vendor_a_manager_lists_only_their_own_people_and_sites(manager_a, make_reviewer, b_world):
    make_reviewer("reviewer-a")
    client = Client()
    client.force_login(manager_a)
    page = client.get("/accounts/manage/").content.decode()
    assert "reviewer-a" in page and "Leeds" in page
    assert not [m for m in B_MARKERS if m in page]


def test_a_controller_admin_sees_only_its_own_vendors(controller_admin, vendor, vendor_b):
    from quietroom.accounts.models import Organisation

    other = Organisation.objects.create(name="Other Controller", kind="controller")
    foreign = Organisation.objects.create(name="Foreign Vendor", kind="vendor", controller=other)
    foreign_site = Site.objects.create(organisation=foreign, name="Elsewhere", country="US", networks=["10.0.0.0/8"])
    client = Client()
    client.force_login(controller_admin)
    listing = client.get("/accounts/controller/").content.decode()
    assert "Vendor A" in listing and "Vendor B" in listing and "Foreign Vendor" not in listing
    assert client.get(f"/accounts/controller/vendors/{foreign.pk}/").status_code == 404
    assert client.post(f"/accounts/controller/vendors/{foreign.pk}/", {"approved": "on", "countries": "US"}).status_code == 404
    assert client.get(f"/accounts/controller/sites/{foreign_site.pk}/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.approved_at is None


def test_a_vendor_manager_cannot_give_a_controller_role_or_place_people_at_another_vendors_site(manager_a, site_b):
    client = Client()
    client.force_login(manager_a)
    for role, site in (("controller_admin", ""), ("vendor_manager", ""), ("reviewer", site_b.pk)):
        response = client.post("/accounts/manage/people/new/", {"username": f"x-{role}", "role": role, "site": site})
        assert response.status_code == 200 and not User.objects.filter(username=f"x-{role}").exists()
