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
