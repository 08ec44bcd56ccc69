"""Staff can be reached (issue 15, finding 3): an invitation carries the e-mail address the
inviter gives, the person gets it on acceptance; a controller is never set up without a
privacy officer with an address, who receives its escalations."""
from __future__ import annotations

import io

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.test import Client

from quietroom.accounts import services
from quietroom.accounts.models import Invitation, Organisation, User
from quietroom.audit.log import Actor
from quietroom.audit.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _token(output: str) -> str:
    return output.strip().rstrip("/").rsplit("/", 1)[1]


def _accept(token: str):
    return Client().post(f"/accounts/invite/{token}/", {"password": PASSWORD, "confirm": PASSWORD})


def test_createinvite_email_is_stored_on_the_person_who_accepts(controller):
    out = io.StringIO()
    call_command("createinvite", "olivia", "--org", controller.name, "--role", "privacy_officer",
                 "--email", "olivia@acme.example", stdout=out)
    token = _token(out.getvalue())
    invitation = Invitation.objects.get(username="olivia")
    assert invitation.email == "olivia@acme.example"
    page = Client().get(f"/accounts/invite/{token}/").content.decode()
    assert "olivia@acme.example" in page  # the invitee sees where notices will go
    assert _accept(token).status_code == 302
    assert User.objects.get(username="olivia").email == "olivia@acme.example"
    assert not mail.outbox  # the link itself is never e-mailed
    assert AuditEvent.objects.get(action="invitation.created").details["email"] is True


def test_createinvite_refuses_a_bad_address_and_an_officer_without_one(controller):
    with pytest.raises(CommandError, match=r"--email: 'olivia\(at\)acme' is not a valid e-mail address"):
        call_command("createinvite", "olivia", "--org", controller.name, "--role", "privacy_officer",
                     "--email", "olivia(at)acme", stdout=io.StringIO())
    with pytest.raises(CommandError, match="privacy officers receive escalations by e-mail: give --email"):
        call_command("createinvite", "olivia", "--org", controller.name, "--role", "privacy_officer",
                     stdout=io.StringIO())
    assert not Invitation.objects.exists()


def test_a_new_invitation_without_an_address_keeps_the_one_the_person_has(controller):
    person = User.objects.create(username="olivia", organisation=controller, role="privacy_officer",
                                 email="olivia@acme.example")
    person.set_unusable_password()
    person.save()
    out = io.StringIO()
    call_command("createinvite", "olivia", "--org", controller.name, "--role", "privacy_officer", stdout=out)
    assert _accept(_token(out.getvalue())).status_code == 302
    assert User.objects.get(username="olivia").email == "olivia@acme.example"


def test_a_controller_is_not_set_up_without_someone_who_receives_escalations():
    actor = Actor(name="cli", role="controller_admin")
    for staff in ([], [services.NewStaff("alice", "controller_admin", "alice@acme.example")],
                  [services.NewStaff("olivia", "privacy_officer", "")]):
        with pytest.raises(ValidationError) as refused:
            services.set_up_controller("Acme Voice", staff, actor=actor)
        assert any("needs at least one privacy officer with an e-mail address" in m for m in refused.value.messages)
    with pytest.raises(CommandError, match="needs at least one privacy officer with an e-mail address"):
        call_command("createcontroller", "Acme Voice", "--admin", "alice", "alice@acme.example", stdout=io.StringIO())
    assert not Organisation.objects.exists() and not User.objects.exists() and not Invitation.objects.exists()


def test_controller_set_up_names_every_bad_row():
    with pytest.raises(CommandError) as refused:
        call_command("createcontroller", "Acme Voice", "--officer", "olivia", "not-an-address",
                     "--officer", "bad name!", "oscar@acme.example", stdout=io.StringIO())
    text = str(refused.value)
    assert "officer 1 (olivia): email: 'not-an-address' is not a valid e-mail address" in text
    assert "officer 2 (bad name!): username:" in text
    assert not Organisation.objects.exists()


def test_createcontroller_sets_up_the_controller_and_prints_one_link_each():
    out = io.StringIO()
    call_command("createcontroller", "Acme Voice", "--officer", "olivia", "olivia@acme.example",
                 "--admin", "alice", "alice@acme.example", stdout=out)
    controller = Organisation.objects.get(name="Acme Voice")
    assert controller.kind == "controller"
    olivia = User.objects.get(username="olivia")
    assert (olivia.organisation, olivia.role, olivia.email) == (controller, "privacy_officer", "olivia@acme.example")
    assert not olivia.has_usable_password() and not olivia.has_second_factor
    links = [line for line in out.getvalue().splitlines() if "/accounts/invite/" in line]
    assert len(links) == 2 and "olivia" in links[0] and "alice" in links[1]
    assert _accept(_token(links[0].split()[-1])).status_code == 302
    assert User.objects.get(username="olivia").email == "olivia@acme.example"
    assert AuditEvent.objects.filter(action="controller.created", object_id=str(controller.pk)).exists()
    with pytest.raises(CommandError, match="an organisation named 'Acme Voice' exists"):
        call_command("createcontroller", "Acme Voice", "--officer", "oscar", "oscar@acme.example",
                     stdout=io.StringIO())
