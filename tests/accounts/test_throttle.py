"""Brute force: growing delays per account and per address, a hard cap, no permanent lockout,
and no way to tell unknown accounts from real ones."""
from __future__ import annotations

import re
import statistics
import time
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from quietroom.accounts import throttle
from quietroom.accounts.models import LoginFailure
from tests.conftest import PASSWORD, totp_code

pytestmark = pytest.mark.django_db


def test_guessing_passwords_meets_growing_delays(make_reviewer, monkeypatch):
    user = make_reviewer("target")
    # The clock stands still: however slow the machine, no delay runs out between two requests.
    frozen = timezone.now()
    monkeypatch.setattr(timezone, "now", lambda: frozen)
    client = Client()
    statuses = [client.post("/accounts/login/", {"username": user.username, "password": f"guess number {i} xx"}).status_code
                for i in range(throttle.ACCOUNT_FREE)]
    assert statuses == [401] * throttle.ACCOUNT_FREE
    blocked = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert blocked.status_code == 429 and b"Wait" in blocked.content  # even the right password waits
    now = timezone.now()
    waits = []
    for extra in range(6):
        LoginFailure.objects.create(username=user.username, address="127.0.0.1", at=now)
        waits.append(throttle.check(user.username, "198.51.100.7", now).wait_seconds)
    assert waits == sorted(waits) and waits[-1] > waits[0] >= 1  # each failure makes the wait longer
    assert max(waits) <= throttle.MAX_DELAY_SECONDS


def test_an_attacker_gets_at_most_a_hundred_failures_an_hour_per_account():
    start = timezone.now() - timedelta(minutes=59)
    LoginFailure.objects.bulk_create(
        [LoginFailure(username="victim", address=f"203.0.113.{i % 250}", at=start + timedelta(seconds=30 * i))
         for i in range(throttle.ACCOUNT_MAX_PER_WINDOW)])
    # Long after the last failure's growing delay, the account still refuses: the hour's cap is spent.
    later = start + timedelta(seconds=30 * 100 + throttle.MAX_DELAY_SECONDS + 1)
    verdict = throttle.check("victim", "198.51.100.1", later)
    assert not verdict.allowed and verdict.wait_seconds > 0


def test_throttling_never_locks_an_account_out_for_good():
    now = timezone.now()
    LoginFailure.objects.bulk_create([LoginFailure(username="victim", address="203.0.113.5", at=now) for _ in range(150)])
    assert not throttle.check("victim", "198.51.100.1", now).allowed
    assert throttle.check("victim", "198.51.100.1", now + timedelta(hours=1, seconds=1)).allowed


def test_one_address_spraying_many_accounts_is_slowed_down():
    now = timezone.now()
    LoginFailure.objects.bulk_create([LoginFailure(username=f"user{i}", address="203.0.113.66", at=now)
                                      for i in range(throttle.ADDRESS_FREE + 3)])
    assert not throttle.check("a-fresh-name", "203.0.113.66", now).allowed
    assert throttle.check("a-fresh-name", "198.51.100.2", now).allowed


def test_unknown_accounts_are_throttled_exactly_like_real_ones(make_reviewer):
    make_reviewer("realname")
    answers = {}
    for name in ("realname", "no-such-person"):
        client = Client()
        for i in range(throttle.ACCOUNT_FREE):
            client.post("/accounts/login/", {"username": name, "password": f"wrong guess {i} xxxx"})
        response = client.post("/accounts/login/", {"username": name, "password": "wrong again xxxx"})
        answers[name] = (response.status_code, re.sub(rb'value="[^"]*"', b"", response.content).replace(name.encode(), b""))
    assert answers["realname"][0] == answers["no-such-person"][0] == 429
    assert answers["realname"][1] == answers["no-such-person"][1]


def test_unknown_and_known_accounts_take_similar_time(make_reviewer, settings):
    from tests.conftest import PRODUCTION_HASHERS

    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS  # the cost under test is the real hasher's
    make_reviewer("timed")

    def attempt(name):
        started = time.perf_counter()
        Client().post("/accounts/login/", {"username": name, "password": "definitely wrong password"})
        return time.perf_counter() - started

    known = statistics.median(attempt("timed") for _ in range(3))
    unknown = statistics.median(attempt(f"ghost-{i}") for i in range(3))
    # Both run the argon2id hasher once; a missing account must not answer in a fraction of the time.
    assert 0.5 < unknown / known < 2.0


def test_wrong_second_factor_codes_are_throttled_too(make_reviewer):
    user = make_reviewer("codeguess")
    client = Client()
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    for _ in range(throttle.ACCOUNT_FREE):
        assert client.post("/accounts/login/verify/", {"code": "000000"}).status_code == 401
    assert client.post("/accounts/login/verify/", {"code": totp_code(user)}).status_code == 429


def test_a_full_sign_in_clears_the_accounts_delay(make_reviewer):
    user = make_reviewer("forgetful")
    client = Client()
    for i in range(3):
        client.post("/accounts/login/", {"username": user.username, "password": f"not it {i} xxxxxxxx"})
    client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert client.post("/accounts/login/verify/", {"code": totp_code(user)}).status_code == 302
    assert not LoginFailure.objects.filter(username=user.username).exists()


def test_guessing_invitation_links_from_one_address_is_throttled_like_sign_in(site):
    import secrets

    from quietroom.accounts.invitations import create_invitation
    from quietroom.audit.models import AuditEvent

    _, token = create_invitation(organisation=site.organisation, username="patient", role="reviewer", site=site)
    guesser = Client(REMOTE_ADDR="203.0.113.50")
    statuses = [guesser.get(f"/accounts/invite/{secrets.token_urlsafe(32)}/").status_code
                for _ in range(throttle.ADDRESS_FREE + 5)]
    assert statuses[:throttle.ADDRESS_FREE] == [404] * throttle.ADDRESS_FREE
    assert 429 in statuses[throttle.ADDRESS_FREE:]
    # While the address waits, even a real link waits; another address is not slowed down.
    assert guesser.get(f"/accounts/invite/{token}/").status_code == 429
    assert Client(REMOTE_ADDR="198.51.100.3").get(f"/accounts/invite/{token}/").status_code == 200
    # Bad links and bad passwords share the address's budget, and every refusal is in the audit log.
    assert not throttle.check("someone", "203.0.113.50", timezone.now()).allowed
    assert AuditEvent.objects.filter(action="invitation.lookup", outcome="denied",
                                     address="203.0.113.50").count() == len(statuses) + 1
