"""`quietroom demo` sets up a privacy officer with an e-mail address, so the demo's escalations
reach someone (issue 15, finding 3); running the demo again keeps one officer."""
from __future__ import annotations

import pytest
from django.test import Client

from quietroom.accounts.models import User
from quietroom.ops import demo, health

pytestmark = pytest.mark.django_db


def test_the_demo_controller_has_a_privacy_officer_who_receives_escalations():
    controller, _site = demo.organisations()
    officer, path = demo.escalation_officer(controller)
    assert (officer.organisation, officer.role) == (controller, "privacy_officer") and officer.email
    assert health.escalation_reach_problems() == []
    assert Client().get(path).status_code == 200

    again, _ = demo.organisations()
    officer_again, new_path = demo.escalation_officer(again)
    assert again == controller and officer_again == officer
    assert User.objects.filter(organisation=controller, role="privacy_officer").count() == 1
    assert Client().get(path).status_code == 404 and Client().get(new_path).status_code == 200


def test_the_demo_invites_one_person_per_role_with_their_organisation():
    """Issue 16: a newcomer sees every role without learning `createinvite --role` first."""
    controller, site = demo.organisations()
    others = demo.other_roles(controller, site)
    assert {role for role, *_ in others} == {"Controller admin", "Auditor", "Vendor manager", "QA lead"}
    for role, username, organisation, path in others:
        assert organisation in (controller.name, site.organisation.name) and path.startswith("/accounts/invite/")
        page = Client().get(path)
        assert page.status_code == 200 and username.encode() in page.content, role
    # Run again: the same people, fresh links (the old ones are spent or replaced), nobody twice.
    again = demo.other_roles(controller, site)
    assert [u for _, u, *_ in again] == [u for _, u, *_ in others]
    # The controller staff and the (vetted, site-bound) QA lead exist as pending people; the vendor
    # manager is created when the invitation is accepted.
    assert set(User.objects.filter(username__in=[u for _, u, *_ in others]).values_list("username", flat=True)) == {
        "demo-admin", "demo-auditor", "demo-qa-lead"}
