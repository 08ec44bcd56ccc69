"""Sessions: one per account, absolute limit, server-side logout, disabling ends them at once."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.utils import timezone

from quietroom.accounts import services
from quietroom.accounts.models import Notice, User
from quietroom.accounts.sessions import LOGIN_AT
from quietroom.audit.models import AuditEvent
from tests.accounts.conftest import signed_in
from tests.conftest import PASSWORD, totp_code

pytestmark = pytest.mark.django_db


def test_a_second_login_to_the_same_account_ends_the_first_session(make_reviewer, manager_a):
    user = make_reviewer("shared", email="shared@vendor-a.example")
    first = signed_in(user)
    assert first.get("/room/").status_code == 200
    old_key = first.session.session_key
    # Someone else signs in with the same credentials (the signature of a shared account).
    second = Client()
    second.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert second.post("/accounts/login/verify/", {"code": totp_code(user, offset_steps=1)}).status_code == 302
    assert second.get("/room/").status_code == 200
    # The first session is ended on the server (no sign-in left in it); its cookie no longer works.
    assert SessionStore(session_key=old_key).get("_auth_user_id") is None
    response = first.get("/room/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert AuditEvent.objects.filter(action="session.replaced", actor=user.username).count() == 1
    # Both the user and their vendor manager are told: in the app and by e-mail.
    assert Notice.objects.filter(user=user, message__contains="signed in from another session").exists()
    assert Notice.objects.filter(user=manager_a, message__contains=user.username).exists()
    recipients = sorted(r for m in mail.outbox for r in m.to)
    assert recipients == ["manager-a@vendor-a.example", "shared@vendor-a.example"]
    assert all(PASSWORD not in m.body for m in mail.outbox)


def test_the_ended_session_is_told_why(make_reviewer):
    user = make_reviewer("told")
    first = signed_in(user)
    second = Client()
    second.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    second.post("/accounts/login/verify/", {"code": totp_code(user, offset_steps=1)})
    page = first.get("/room/", follow=True)
    assert b"signed in somewhere else" in page.content


def test_signing_in_again_after_logout_notifies_nobody(make_reviewer, manager_a):
    user = make_reviewer("tidy")
    client = signed_in(user)
    key = client.session.session_key
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()  # logout is server-side
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert client.post("/accounts/login/verify/", {"code": totp_code(user, offset_steps=1)}).status_code == 302
    assert not Notice.objects.exists() and not mail.outbox


def test_a_stolen_cookie_is_useless_after_logout(make_reviewer):
    user = make_reviewer("careful")
    client = signed_in(user)
    cookie = client.cookies["sessionid"].value
    client.post("/accounts/logout/")
    thief = Client()
    thief.cookies["sessionid"] = cookie
    assert thief.get("/room/").status_code == 302


def test_a_session_ends_after_twelve_hours_however_active(make_reviewer):
    user = make_reviewer("marathon")
    client = signed_in(user)
    session = client.session
    session[LOGIN_AT] = time.time() - 12 * 3600 - 5
    session.save()
    response = client.get("/room/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert AuditEvent.objects.filter(action="session.ended", details__reason="session older than the absolute limit").exists()


def test_idle_timeout_is_fifteen_minutes_renewed_by_activity(settings, make_reviewer):
    assert settings.SESSION_COOKIE_AGE == 15 * 60 and settings.QUIETROOM_SESSION_RENEW_SECONDS <= 60
    user = make_reviewer("idle")
    client = signed_in(user)
    key = client.session.session_key
    # Sixteen minutes without a request: the stored expiry has passed.
    expiry = Session.objects.get(session_key=key).expire_date
    Session.objects.filter(session_key=key).update(expire_date=expiry - timedelta(minutes=16))
    assert client.get("/room/").status_code == 302


def test_activity_pushes_the_idle_expiry_but_writes_it_at_most_once_per_interval(settings, make_reviewer):
    settings.QUIETROOM_SESSION_RENEW_SECONDS = 60
    user = make_reviewer("active")
    client = signed_in(user)
    key = client.session.session_key
    # Ten idle minutes pass (the stored expiry moved back), then the reviewer is active again.
    session = client.session
    session["quietroom_renewed_at"] = 0  # the last renewal is long ago
    session.save()
    near_end = timezone.now() + timedelta(minutes=5)
    Session.objects.filter(session_key=key).update(expire_date=near_end)
    assert client.get("/room/").status_code == 200
    renewed = Session.objects.get(session_key=key).expire_date
    assert renewed > timezone.now() + timedelta(minutes=14)
    # A second request within the interval does not write the row again.
    Session.objects.filter(session_key=key).update(expire_date=near_end)
    assert client.get("/room/").status_code == 200
    assert Session.objects.get(session_key=key).expire_date == near_end


def test_disabling_a_user_ends_all_their_sessions_at_once(make_reviewer, manager_a):
    user = make_reviewer("leaver")
    client = signed_in(user)
    key = client.session.session_key
    services.set_active(manager_a, user, False)
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/room/").status_code == 302
    # Even a session row restored from a backup is refused: the account is disabled.
    assert Client().post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 401


def test_a_session_the_account_no_longer_owns_is_refused_even_if_the_row_survives(make_reviewer):
    user = make_reviewer("ghost")
    client = signed_in(user)
    User.objects.filter(pk=user.pk).update(current_session_key="someone-elses-session")
    assert client.get("/room/").status_code == 302


def test_login_gives_a_new_session_id(make_reviewer):
    user = make_reviewer("fixation")
    client = Client()
    client.get("/accounts/login/")
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    before = client.session.session_key
    client.post("/accounts/login/verify/", {"code": totp_code(user)})
    assert client.session.session_key != before


def test_the_session_and_its_user_are_read_in_one_statement_and_still_checked(make_reviewer):
    """accounts/session_store.py: the session row comes with the user whose current session it is
    (one statement instead of two); Django's checks still run on that user, so a password changed
    elsewhere (the session's auth hash) or a disabled account ends the session at the next request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = make_reviewer("joined")
    browser = signed_in(user)
    assert browser.get("/accounts/notices/").status_code == 200
    with CaptureQueriesContext(connection) as queries:
        assert browser.get("/accounts/notices/").status_code == 200
    sessions = [q["sql"] for q in queries.captured_queries if "django_session" in q["sql"]]
    users = [q["sql"] for q in queries.captured_queries if 'FROM "accounts_user"' in q["sql"]]
    assert len(sessions) == 1 and "accounts_user" in sessions[0] and not users
    # The password is changed elsewhere: the hash kept in this session no longer matches.
    stored = User.objects.get(pk=user.pk)
    stored.set_password("another long passphrase 42")
    stored.save(update_fields=["password"])
    response = browser.get("/room/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
