"""People of two vendors (A and B) under one controller, plus a second controller, for the
identity and access tests."""
from __future__ import annotations

import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD, totp_code


def make_user(username, organisation, role, site=None, locales=(), vetted=False, **extra):
    from quietroom.accounts import vetting
    from quietroom.accounts.models import User
    from quietroom.accounts.pseudonyms import user_pseudonym

    user = User.objects.create(username=username, organisation=organisation, site=site, role=role,
                               locales=list(locales), totp_secret=pyotp.random_base32(), totp_confirmed=True,
                               **extra)
    user.set_password(PASSWORD)
    user.pseudonym = user_pseudonym(user.pk)
    user.save()
    if vetted:
        vetting.record_all(user, now=timezone.now(), performed_by="fixture")
    return user


def signed_in(user, **client_kwargs) -> Client:
    """A client signed in through the real two-step login (password, then TOTP)."""
    client = Client(**client_kwargs)
    response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content[:400]
    response = client.post("/accounts/login/verify/", {"code": totp_code(user)})
    assert response.status_code == 302, response.content[:400]
    return client


@pytest.fixture
def manager_a(vendor):
    return make_user("manager-a", vendor, "vendor_manager", email="manager-a@vendor-a.example")


@pytest.fixture
def vendor_b(controller):
    from quietroom.accounts.models import Organisation

    return Organisation.objects.create(name="Vendor B", kind="vendor", controller=controller,
                                       approved_at=timezone.now(), approved_countries=["IE"])


@pytest.fixture
def site_b(vendor_b):
    from quietroom.accounts.models import Site

    return Site.objects.create(organisation=vendor_b, name="Cork", country="IE", networks=["127.0.0.0/8", "::1/128"])


@pytest.fixture
def manager_b(vendor_b):
    return make_user("manager-b", vendor_b, "vendor_manager")


@pytest.fixture
def reviewer_b(vendor_b, site_b):
    return make_user("reviewer-b", vendor_b, "reviewer", site=site_b, locales=["en-US"], vetted=True,
                     first_name="Bea", last_name="Vendor-B-Secret")


@pytest.fixture
def controller_admin(controller):
    return make_user("ctrl-admin", controller, "controller_admin")
