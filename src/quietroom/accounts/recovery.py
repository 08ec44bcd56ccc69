"""Recovery codes: ten single-use codes, shown once, stored only as hashes.

Each code carries 50 random bits, so a fast hash (SHA-256) is enough: there is nothing to
guess from it, unlike a password chosen by a person.
"""
from __future__ import annotations

import base64
import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from .models import RecoveryCode, User

COUNT = 10


def _normalise(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def code_hash(code: str) -> str:
    return hashlib.sha256(("quietroom/recovery/v1:" + _normalise(code)).encode()).hexdigest()


def _new_code() -> str:
    raw = base64.b32encode(secrets.token_bytes(7)).decode().lower().rstrip("=")[:10]
    return f"{raw[:5]}-{raw[5:]}"


def looks_like_code(text: str) -> bool:
    return len(_normalise(text)) == 10 and not _normalise(text).isdigit()


def regenerate(user: User) -> list[str]:
    """Replace the user's codes with new ones; returns them for showing once."""
    codes = [_new_code() for _ in range(COUNT)]
    with transaction.atomic():
        RecoveryCode.objects.filter(user=user).delete()
        RecoveryCode.objects.bulk_create([RecoveryCode(user=user, code_hash=code_hash(c)) for c in codes])
    return codes


def consume(user: User, code: str) -> bool:
    """True once per code: the conditional update makes a replay (or a race) fail."""
    return bool(RecoveryCode.objects.filter(user=user, code_hash=code_hash(code), used_at__isnull=True)
                .update(used_at=timezone.now()))


def remaining(user: User) -> int:
    return RecoveryCode.objects.filter(user=user, used_at__isnull=True).count()
