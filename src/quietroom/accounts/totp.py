"""TOTP second factor: RFC 6238 via pyotp, each code accepted once, ±1 time step."""
from __future__ import annotations

import hmac
import time

import pyotp

from .models import User

STEP = 30
ISSUER = "QuietRoom"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(user: User) -> str:
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.get_username(), issuer_name=ISSUER)


def verify_and_consume(user: User, code: str, now: float | None = None) -> bool:
    """True if `code` is valid now (±1 step) and newer than the last code used.

    The compare-and-set on totp_last_step makes replay impossible even when two requests
    race with the same code.
    """
    code = "".join(code.split())
    if len(code) != 6 or not code.isdigit():
        return False
    secret = user.totp_secret  # opened from its sealed form (accounts.fields) only here
    if not secret:
        return False
    now = time.time() if now is None else now
    totp = pyotp.TOTP(secret)
    current = int(now // STEP)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.at(step * STEP), code):
            if step <= user.totp_last_step:
                return False
            updated = User.objects.filter(pk=user.pk, totp_last_step__lt=step).update(totp_last_step=step)
            if updated:
                user.totp_last_step = step
            return bool(updated)
    return False
