"""Onboarding by invitation and the two-step login, attacked from the obvious angles."""
from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from quietroom.accounts import totp
from quietroom.accounts.invitations import create_invitation
from quietroom.accounts.models import Invitation, User
from quietroom.audit.models import AuditEvent
from tests.conftest import PASSWORD, totp_code

pytestmark = pytest.mark.django_db


def accept(client, token, password=PASSWORD):
    page = client.get(f"/accounts/invite/{token}/")
    if page.status_code != 200:
        return page, None
    response = client.post(f"/accounts/invite/{token}/", {"password": password, "confirm": password})
    return response, response


def test_invitation_works_once_then_never(site):
    _, token = create_invitation(organisation=site.organisation, username="newbie", role="reviewer", site=site, locales=["en-GB"])
    client = Client()
    response, _ = accept(client, token)
    assert response.status_code == 302 and response["Location"].endswith("/accounts/enrol/")
    page = client.get("/accounts/enrol/")
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.content.decode()).group(1)
    assert client.post("/accounts/enrol/", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    user = User.objects.get(username="newbie")
    assert user.has_second_factor and user.check_password(PASSWORD) and user.locales == ["en-GB"]
    for attempt in (Client(), client):
        assert attempt.get(f"/accounts/invite/{token}/").status_code == 404
        again = attempt.post(f"/accounts/invite/{token}/", {"password": "x" * 20, "confirm": "x" * 20})
        assert again.status_code == 404
    assert User.objects.get(username="newbie").check_password(PASSWORD)


def test_expired_invitation_never_works(site):
    invitation, token = create_invitation(organisation=site.organisation, username="late", role="reviewer", site=site)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response, _ = accept(Client(), token)
    assert response.status_code == 404
    assert not User.objects.filter(username="late").exists()


def test_invitation_token_is_not_stored_in_the_clear(site):
    _, token = create_invitation(organisation=site.organisation, username="hashme", role="reviewer", site=site)
    assert not Invitation.objects.filter(token_hash=token).exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_invitation")
        rows = cursor.fetchall()
    assert rows and all(token not in str(row) for row in rows)


def test_weak_passwords_are_refused_at_onboarding(site):
    _, token = create_invitation(organisation=site.organisation, username="weakling", role="reviewer", site=site)
    for bad in ("short1", "password1234", "quietroom is my home", "weakling-weakling"):
        response = Client().post(f"/accounts/invite/{token}/", {"password": bad, "confirm": bad})
        assert response.status_code == 200 and b'role="alert"' in response.content, bad
    assert not User.objects.filter(username="weakling").exists()
    long_phrase = "a sixty four character passphrase is fine " + "x" * 22
    assert len(long_phrase) == 64
    response, _ = accept(Client(), token, long_phrase)
    assert response.status_code == 302


def test_login_needs_password_and_a_fresh_totp_code(make_reviewer):
    user = make_reviewer()
    client = Client()
    assert client.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302
    assert client.get("/room/").status_code == 302  # not logged in before the second factor
    assert client.post("/accounts/login/verify/", {"code": "000000"}).status_code == 401
    code = totp_code(user)
    assert client.post("/accounts/login/verify/", {"code": code}).status_code == 302
    assert client.get("/room/").status_code == 200
    # The same code cannot be replayed for a second session.
    replay = Client()
    replay.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert replay.post("/accounts/login/verify/", {"code": code}).status_code == 401
    assert AuditEvent.objects.filter(action="login.totp", outcome="denied").count() == 2
    assert AuditEvent.objects.filter(action="login", outcome="ok", actor=user.username).count() == 1


def test_totp_accepts_one_step_of_drift_but_not_two(make_reviewer):
    user = make_reviewer()
    now = 1_900_000_000
    code = pyotp.TOTP(user.totp_secret).at(now - 60)
    assert not totp.verify_and_consume(user, code, now=now)
    code = pyotp.TOTP(user.totp_secret).at(now - 30)
    assert totp.verify_and_consume(user, code, now=now)
    assert not totp.verify_and_consume(user, code, now=now)


def test_unknown_user_and_wrong_password_get_the_same_answer(make_reviewer):
    make_reviewer("known")
    a = Client().post("/accounts/login/", {"username": "known", "password": "wrong wrong wrong"})
    b = Client().post("/accounts/login/", {"username": "nobody-here", "password": "wrong wrong wrong"})
    assert a.status_code == b.status_code == 401
    strip = lambda r: re.sub(rb'value="[^"]*"', b"", r.content)  # noqa: E731 (CSRF token and echoed name differ)
    assert strip(a).replace(b"known", b"") == strip(b).replace(b"nobody-here", b"")


def test_login_from_outside_the_site_network_is_refused_and_audited(make_reviewer, settings):
    user = make_reviewer()
    outside = Client(REMOTE_ADDR="203.0.113.9")
    response = outside.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 401 and b"assigned site" in response.content
    event = AuditEvent.objects.get(action="login.password", outcome="denied")
    assert event.address == "203.0.113.9" and "network" in event.details["reason"]


def test_forged_x_forwarded_for_does_not_move_the_client_inside_the_site(make_reviewer, settings):
    user = make_reviewer()
    settings.QUIETROOM_TRUSTED_PROXIES = ["10.0.0.5/32"]
    # Direct connection from outside with a forged header: header ignored (not from a proxy).
    direct = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="127.0.0.1")
    assert direct.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 401
    # Through our proxy, the client prepends a fake hop; the proxy appends the real one.
    proxied = Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="127.0.0.1, 203.0.113.9")
    assert proxied.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 401
    addresses = list(AuditEvent.objects.filter(action="login.password", outcome="denied").values_list("address", flat=True))
    assert addresses == ["203.0.113.9", "203.0.113.9"]
    # The genuine case: the proxy reports a client inside the site's network.
    inside = Client(REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="127.0.0.7")
    assert inside.post("/accounts/login/", {"username": user.username, "password": PASSWORD}).status_code == 302


def test_pages_send_strict_security_headers(client):
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY" and response["X-Content-Type-Options"] == "nosniff"
    assert b"<script>" not in response.content  # no inline script anywhere in the page


def test_state_changes_need_a_csrf_token(make_reviewer):
    user = make_reviewer()
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 403
