"""Every role has a home and a menu of only the pages it may open; a refusal is a page in the
layout that says why (issue 16)."""
from __future__ import annotations

import re

import pyotp
import pytest
from django.test import Client

from quietroom.accounts.models import User

pytestmark = pytest.mark.django_db

ROLES = ["reviewer", "qa_lead", "vendor_manager", "controller_admin", "privacy_officer", "auditor"]
# A page each role may NOT open, to see the refusal.
FORBIDDEN = {
    "reviewer": "/accounts/controller/", "qa_lead": "/audit/", "vendor_manager": "/privacy/access-report/",
    "controller_admin": "/audit/verify/", "privacy_officer": "/accounts/manage/", "auditor": "/accounts/controller/vendors/new/",
}


@pytest.fixture
def person(controller, vendor, site, make_reviewer):
    def make(role):
        if role == "reviewer":
            return make_reviewer("rita")
        at_vendor = role in ("qa_lead", "vendor_manager")
        user = User.objects.create(username=f"{role}-1", role=role, organisation=vendor if at_vendor else controller,
                                   site=site if role == "qa_lead" else None, email=f"{role}@example.test",
                                   totp_secret=pyotp.random_base32(), totp_confirmed=True)
        if role == "qa_lead":
            from django.utils import timezone

            from quietroom.accounts import vetting

            vetting.record_all(user, now=timezone.now(), performed_by="test fixture")
        return user
    return make


def menu_links(html: str) -> dict[str, str]:
    nav = re.search(r'<nav class="nav">(.*?)</nav>', html, flags=re.S).group(1)
    return dict(re.findall(r'<a href="([^"]+)" id="([\w-]+)"', nav))


@pytest.mark.parametrize("role", ROLES)
def test_each_role_lands_home_and_every_menu_link_opens(role, person):
    client = Client(REMOTE_ADDR="127.0.0.1")
    user = person(role)
    client.force_login(user)
    home = client.get("/", follow=True)
    assert home.status_code == 200
    if role == "reviewer":
        assert home.redirect_chain[-1][0] == "/room/"
    else:
        assert b'id="home-cards"' in home.content
    links = menu_links(home.content.decode())
    assert links, "a menu"
    for url in links:
        assert client.get(url).status_code == 200, (role, url)


@pytest.mark.parametrize("role", ROLES)
def test_a_forbidden_page_is_refused_in_the_layout_with_its_reason(role, person):
    client = Client(REMOTE_ADDR="127.0.0.1")
    client.force_login(person(role))
    refused = client.get(FORBIDDEN[role])
    assert refused.status_code == 403
    html = refused.content.decode()
    assert '<nav class="nav">' in html and 'id="refusal-reason"' in html
    assert "Your role does not allow this." in html


def test_the_auditor_is_not_offered_what_it_cannot_do(person):
    client = Client(REMOTE_ADDR="127.0.0.1")
    client.force_login(person("auditor"))
    page = client.get("/accounts/controller/").content.decode()
    assert "Add a vendor" not in page and "Add a site" not in page
    assert "/audit/" in menu_links(page)


def test_a_missing_page_is_in_the_layout(person):
    client = Client(REMOTE_ADDR="127.0.0.1")
    client.force_login(person("privacy_officer"))
    missing = client.get("/no/such/page/")
    assert missing.status_code == 404 and b'<nav class="nav">' in missing.content
