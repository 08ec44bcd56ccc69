"""The site rule holds on every request, not only at the password step: enrolment signs
nobody in from outside the site, and a session carried off-site is refused (and audited)
on every page, stream and post, without ending anything else."""
from __future__ import annotations

import re

import pyotp
import pytest
from django.test import Client

from quietroom.accounts.invitations import create_invitation
from quietroom.accounts.models import Organisation, User
from quietroom.audit.models import AuditEvent
from tests.conftest import PASSWORD

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

