"""Brute-force throttling of sign-in, per account name and per address.

Each failed step (password or second factor) is a `LoginFailure` row. Within a rolling hour:

- per account: 5 free failures, then a growing wait before the next attempt (1 s, 2 s, 4 s, ...
  capped at 60 s) and never more than 100 failures; the oldest failure ageing out of the
  window frees the account again, so an attacker can slow a person down but never lock them
  out for good;
- per address: 30 free failures (a site's reviewers share a NAT address), then the same
  growing wait.

Invitation links are looked up under the same per-address rule: a link that is unknown, used,
revoked or expired is a failure of its address (keyed `INVITATION_KEY`, which no username can
be), so bad links and bad passwords from one address share one budget.

The key is the name as typed, known or not, so an unknown account is throttled exactly like a
real one and the answers never tell them apart. Waits are enforced by refusing early
attempts, never by sleeping in the server (which would let an attacker tie up workers).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min

from .models import LoginFailure

WINDOW = timedelta(hours=1)
ACCOUNT_FREE = 5
ACCOUNT_MAX_PER_WINDOW = 100
ADDRESS_FREE = 30
MAX_DELAY_SECONDS = 60
# The account key of failed invitation-link lookups: spaces and brackets are never in a username.
INVITATION_KEY = "(invitation link)"


def _key(username: str) -> str:
    return (username or "").strip().lower()[:150]


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    wait_seconds: int = 0


def _wait(stats: dict, free: int, now: datetime, cap: int | None) -> int:
    count = stats["n"] or 0
    if count < free:
        return 0
    if cap is not None and count >= cap:
        return max(1, int((stats["first"] + WINDOW - now).total_seconds()) + 1)
    delay = min(2 ** (count - free), MAX_DELAY_SECONDS)
    remaining = (stats["last"] + timedelta(seconds=delay) - now).total_seconds()
    return max(0, int(remaining + 0.999))


def _stats(now: datetime, **where) -> dict:
    return LoginFailure.objects.filter(at__gt=now - WINDOW, **where).aggregate(
        n=Count("id"), first=Min("at"), last=Max("at"))


def _address_wait(address: str, now: datetime) -> int:
    return _wait(_stats(now, address=address), ADDRESS_FREE, now, None)


def check(username: str, address: str, now: datetime) -> Verdict:
    wait = max(_wait(_stats(now, username=_key(username)), ACCOUNT_FREE, now, ACCOUNT_MAX_PER_WINDOW),
               _address_wait(address, now))
    return Verdict(allowed=wait == 0, wait_seconds=wait)


def check_address(address: str, now: datetime) -> Verdict:
    """The per-address rule alone, for a step that names no account (an invitation link)."""
    wait = _address_wait(address, now)
    return Verdict(allowed=wait == 0, wait_seconds=wait)


def record_failure(username: str, address: str, now: datetime) -> None:
    LoginFailure.objects.create(username=_key(username), address=address[:45], at=now)
    # Keep the table small: rows older than the window no longer count.
    LoginFailure.objects.filter(at__lte=now - WINDOW * 2).delete()


def clear_account(username: str) -> None:
    """A full sign-in (both factors) proves the person; their account's delay starts afresh."""
    LoginFailure.objects.filter(username=_key(username)).delete()
