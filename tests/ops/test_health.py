"""The health check names a controller whose escalations would reach nobody (issue 15,
finding 3): by organisation name and counts, never by person; readiness itself is unaffected."""
from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone

from quietroom.accounts.models import Organisation, User
from quietroom.ops import health

pytestmark = pytest.mark.django_db


def _officer(org, username, email, **extra):
    return User.objects.create(username=username, organisation=org, role="privacy_officer", email=email, **extra)


def _readyz() -> dict:
    response = Client().get("/readyz")
    assert response.status_code == 200  # a missing address is no reason to take an instance out
    body = response.json()
    assert body["ready"] is True
    return body


def test_a_controller_without_reachable_escalation_staff_is_named(controller):
    other = Organisation.objects.create(name="Other Voice", kind="controller")
    _officer(other, "oscar", "oscar@other.example")
    (problem,) = health.escalation_reach_problems()
    assert "Acme Voice" in problem and "no active escalation staff with an e-mail address" in problem
    assert _readyz()["warnings"] == [problem]

    _officer(controller, "olivia", "")
    _officer(controller, "omar", "omar@acme.example", is_active=False)
    _officer(controller, "otto", "otto@acme.example", offboarded_at=timezone.now())
    (problem,) = health.escalation_reach_problems()
    assert "Acme Voice" in problem and "(1 active privacy officer, none with one)" in problem
    for name in ("olivia", "omar", "otto", "acme.example"):
        assert name not in problem

    _officer(controller, "ola", "ola@acme.example")
    assert health.escalation_reach_problems() == []
    assert _readyz()["warnings"] == []
