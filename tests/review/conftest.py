"""Review-room fixtures: deterministic quality knobs, overseers, and a site abroad."""
from __future__ import annotations

import pyotp
import pytest


@pytest.fixture(autouse=True)
def review_knobs(settings):
    """No random overlap or gold unless a test asks: counts in these tests stay exact."""
    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_OVERLAP_FRACTION": 0.0, "REVIEW_GOLD_RATE": 0.0}
    return settings


def set_knobs(settings, **knobs):
    settings.QUIETROOM = {**settings.QUIETROOM, **knobs}


@pytest.fixture
def make_staff(controller, vendor, request):
    from quietroom.accounts.access import SITE_BOUND_ROLES
    from quietroom.accounts.models import User

    def make(username, role, *, org=None):
        # A QA lead works at the vendor's site, like its reviewers: without one they could never
        # sign in, and the site rule refuses their every request.
        site = request.getfixturevalue("site") if role in SITE_BOUND_ROLES and org in (None, vendor) else None
        user = User.objects.create(username=username, role=role, organisation=org or vendor, site=site,
                                   totp_secret=pyotp.random_base32(), totp_confirmed=True)
        return user

    return make


@pytest.fixture
def site_in(vendor):
    from quietroom.accounts.models import Site

    def make(country, name=None):
        return Site.objects.create(organisation=vendor, name=name or f"Site {country}", country=country,
                                   networks=["127.0.0.0/8", "::1/128"])

    return make
