"""Vetting: every item recorded or no work; an expired item suspends access by itself."""
from __future__ import annotations

from datetime import datetime, timedelta
from datetime import timezone as dt_timezone
from types import SimpleNamespace

import pytest
from django.test import Client
from django.utils import timezone

from quietroom.accounts import vetting
from quietroom.accounts.models import User, VettingRecord
from quietroom.audit.models import AuditEvent
from quietroom.review import queue
from quietroom.review.eligibility import decide
from quietroom.review.models import Task
from tests.accounts.conftest import signed_in

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=dt_timezone.utc)


def state(**over):
    fields = {field: NOW + timedelta(days=30) for _, field, _ in vetting.ITEMS}
    fields.update(offboarded_at=None)
    fields.update(over)
    person = SimpleNamespace(**fields)
    person.vetting_state = person
    return person


def test_fully_vetted_person_has_no_blocking_reasons():
    assert vetting.blocking_reasons(state(), NOW) == []


@pytest.mark.parametrize("kind,field,label", vetting.ITEMS)
def test_each_missing_or_expired_item_blocks_with_its_reason(kind, field, label):
    assert vetting.blocking_reasons(state(**{field: None}), NOW) == [f"{label} not recorded"]
    expired = vetting.blocking_reasons(state(**{field: NOW - timedelta(seconds=1)}), NOW)
    assert expired == [f"{label} expired on {(NOW - timedelta(seconds=1)):%Y-%m-%d}"]


def test_the_eligibility_policy_refuses_an_unvetted_reviewer(make_reviewer):
    user = make_reviewer("unvetted", vetted=False)
    task = SimpleNamespace(locale="en-US", status="queued")
    decision = decide(user, user.site, task, timezone.now())
    assert not decision.allowed
    assert "confidentiality agreement (NDA) not recorded" in decision.reasons


def test_vetting_reasons_need_no_database_query(make_reviewer, django_assert_num_queries):
    user = User.objects.get(pk=make_reviewer("noquery").pk)
    with django_assert_num_queries(0):
        assert vetting.blocking_reasons(user, timezone.now()) == []


def test_a_user_whose_nda_has_expired_cannot_get_any_work_and_sees_why(ingested, make_reviewer):
    user = make_reviewer("lapsed")
    client = signed_in(user)  # may still sign in, to see why and to renew training
    User.objects.filter(pk=user.pk).update(nda_signed_until=timezone.now() - timedelta(days=1))
    response = client.post("/room/next/", follow=True)
    assert not Task.objects.filter(lease_owner=user).exists()
    text = response.content.decode()
    assert "You cannot get any work" in text and "confidentiality agreement (NDA) expired" in text
    assert queue.next_task(User.objects.get(pk=user.pk), timezone.now()) is None


def test_an_item_expiring_mid_lease_stops_playback(ingested, make_reviewer):
    import re

    user = make_reviewer("midlease")
    client = signed_in(user)
    assert client.post("/room/next/").status_code == 302
    task = Task.objects.get(lease_owner=user)
    page = client.get(f"/room/task/{task.pk}/")
    stream = re.search(r'src="(/room/stream/[^"]+)"', page.content.decode()).group(1)
    assert client.get(stream).status_code == 200
    expired = timezone.now() - timedelta(seconds=1)
    User.objects.filter(pk=user.pk).update(training_passed_until=expired)
    assert client.get(stream).status_code == 403  # no job needed: expiry is compared with now
    denied = AuditEvent.objects.get(action="snippet.play", outcome="denied", actor=user.username)
    assert f"privacy training expired on {expired:%Y-%m-%d}" in denied.details["reasons"]


def test_manager_records_identity_without_a_copy_of_the_document(manager_a, make_reviewer):
    person = make_reviewer("newcomer", vetted=False)
    client = Client()
    client.force_login(manager_a)
    page = client.get(f"/accounts/manage/people/{person.pk}/")
    assert page.status_code == 200 and b'type="file"' not in page.content
    missing_ref = client.post(f"/accounts/manage/people/{person.pk}/vetting/", {
        "kind": "identity", "performed_by": "J. Smith, HR", "performed_on": "2026-05-01",
        "valid_until": "2029-05-01", "document_type": "passport", "reference": ""})
    assert missing_ref.status_code == 400 and not VettingRecord.objects.filter(user=person).exists()
    ok = client.post(f"/accounts/manage/people/{person.pk}/vetting/", {
        "kind": "identity", "performed_by": "J. Smith, HR", "performed_on": "2026-05-01",
        "valid_until": "2029-05-01", "document_type": "passport", "reference": "P-1234"})
    assert ok.status_code == 302
    record = VettingRecord.objects.get(user=person)
    assert (record.kind, record.performed_by, record.document_type, record.reference, record.recorded_by_id) == (
        "identity", "J. Smith, HR", "passport", "P-1234", manager_a.pk)
    assert User.objects.get(pk=person.pk).identity_verified_until.date().isoformat() == "2029-05-01"
    assert AuditEvent.objects.filter(action="vetting.recorded", actor=manager_a.username).exists()
    # No file field exists in the model either: nothing could hold a copy.
    assert not [f for f in VettingRecord._meta.get_fields() if f.get_internal_type() in ("FileField", "ImageField", "BinaryField")]


def test_privacy_training_quiz_records_training_only_when_passed(make_reviewer):
    from quietroom.accounts.training import QUESTIONS

    user = make_reviewer("learner", vetted=False)
    client = signed_in(user)
    wrong = {key: next(c for c, _ in choices if c != right) for key, _q, choices, right in QUESTIONS}
    assert client.post("/accounts/training/", wrong).status_code == 400
    assert User.objects.get(pk=user.pk).training_passed_until is None
    right = {key: answer for key, _q, _c, answer in QUESTIONS}
    assert b"Passed" in client.post("/accounts/training/", right).content
    assert User.objects.get(pk=user.pk).training_passed_until > timezone.now() + timedelta(days=300)


def test_recertification_by_the_manager_renews_access(manager_a, make_reviewer):
    person = make_reviewer("recert")
    User.objects.filter(pk=person.pk).update(access_certified_until=timezone.now() - timedelta(days=1))
    assert "access recertification by the vendor manager expired" in " ".join(
        vetting.blocking_reasons(User.objects.get(pk=person.pk), timezone.now()))
    client = Client()
    client.force_login(manager_a)
    assert client.post(f"/accounts/manage/people/{person.pk}/recertify/").status_code == 302
    assert vetting.blocking_reasons(User.objects.get(pk=person.pk), timezone.now()) == []


def test_offboarding_removes_access_at_once(manager_a, make_reviewer, ingested):
    from tests.conftest import PASSWORD

    person = make_reviewer("goodbye")
    session = signed_in(person)
    client = Client()
    client.force_login(manager_a)
    assert client.post(f"/accounts/manage/people/{person.pk}/offboard/").status_code == 302
    assert session.get("/room/").status_code == 302
    assert session.post("/room/next/").status_code == 302 and not Task.objects.filter(lease_owner=person).exists()
    refreshed = User.objects.get(pk=person.pk)
    assert not refreshed.is_active and refreshed.offboarded_at and not refreshed.has_second_factor
    assert Client().post("/accounts/login/", {"username": person.username, "password": PASSWORD}).status_code == 401


def test_lost_factor_means_re_vetting_and_a_new_invitation(manager_a, make_reviewer):
    person = make_reviewer("lostphone")
    client = Client()
    client.force_login(manager_a)
    assert client.post(f"/accounts/manage/people/{person.pk}/reset-factor/").status_code == 302
    refreshed = User.objects.get(pk=person.pk)
    assert not refreshed.has_second_factor and refreshed.identity_verified_until is None
    assert "identity verification not recorded" in vetting.blocking_reasons(refreshed, timezone.now())
    page = client.post(f"/accounts/manage/people/{person.pk}/invite/")
    assert page.status_code == 200 and b"/accounts/invite/" in page.content


def test_languages_are_set_by_the_vendor_manager(manager_a, make_reviewer):
    person = make_reviewer("polyglot")
    client = Client()
    client.force_login(manager_a)
    assert client.post(f"/accounts/manage/people/{person.pk}/languages/", {"locales": "en-gb, fr-FR"}).status_code == 302
    assert User.objects.get(pk=person.pk).locales == ["en-GB", "fr-FR"]
    bad = client.post(f"/accounts/manage/people/{person.pk}/languages/", {"locales": "english"})
    assert bad.status_code == 400 and User.objects.get(pk=person.pk).locales == ["en-GB", "fr-FR"]


def _browser_value_of_a_date_input(value: str) -> str:
    """What a browser submits for <input type="date" value=...>: the HTML standard's value
    sanitization turns anything but a valid yyyy-mm-dd date into the empty string."""
    import re
    from datetime import date

    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            date.fromisoformat(value)
            return value
        except ValueError:
            pass
    return ""


def test_the_vetting_forms_prefilled_date_is_one_its_own_field_accepts(manager_a, make_reviewer):
    """"Performed on" was pre-filled as 06/12/2026 (the en-GB format) in a date input, which
    only takes 2026-12-06: the browser emptied it and the form refused its own default."""
    import re

    person = make_reviewer("prefilled", vetted=False)
    client = Client()
    client.force_login(manager_a)
    page = client.get(f"/accounts/manage/people/{person.pk}/").content.decode()
    inputs = {name: (kind, value) for kind, name, value in
              re.findall(r'<input type="(\w+)" name="(performed_on|valid_until)"(?: value="([^"]*)")?', page)}
    assert inputs["performed_on"] == ("date", timezone.now().date().isoformat())
    submitted = {"kind": "nda", "performed_by": "J. Smith, HR", "valid_until": "2029-05-01",
                 "performed_on": _browser_value_of_a_date_input(inputs["performed_on"][1])}
    response = client.post(f"/accounts/manage/people/{person.pk}/vetting/", submitted)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert VettingRecord.objects.get(user=person, kind="nda").performed_on == timezone.now().date()
