"""Issuing and checking API tokens: `qrt_<prefix>_<secret>`, only the SHA-256 is stored."""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from .models import SCOPES, ApiToken, ServiceAccount

TOKEN_PREFIX = "qrt_"
MAX_DAYS = 365
# last_used_at is written at most this often per token, so reads do not become writes.
LAST_USED_RESOLUTION = timedelta(seconds=60)


class TokenError(ValueError):
    pass


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(account: ServiceAccount, *, days: int = 90) -> tuple[str, ApiToken]:
    """A new token for the account: the plain token is returned once and never stored."""
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"a token lives between 1 and {MAX_DAYS} days")
    unknown = sorted(set(account.scopes) - set(SCOPES))
    if unknown:
        raise TokenError(f"unknown scope(s): {', '.join(unknown)}")
    prefix = secrets.token_hex(4)
    plain = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken.objects.create(account=account, hash=token_hash(plain), prefix=prefix,
                                  expires_at=timezone.now() + timedelta(days=days))
    return plain, row


@dataclass(frozen=True)
class Principal:
    """Who is calling: the service account, its controller, and what it may do."""

    account: ServiceAccount
    token: ApiToken

    @property
    def organisation(self):
        return self.account.organisation

    @property
    def scopes(self) -> frozenset[str]:
        return frozenset(self.account.scopes)

    @property
    def actor_name(self) -> str:
        return f"svc:{self.account.organisation_id}/{self.account.name}"[:150]


def authenticate(plain: str) -> Principal | None:
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > 200:
        return None
    row = (ApiToken.objects.select_related("account__organisation")
           .filter(hash=token_hash(plain)).first())
    # compare_digest: the lookup is by hash already; this keeps the final check constant-time.
    if row is None or not hmac.compare_digest(row.hash, token_hash(plain)):
        return None
    now = timezone.now()
    if row.revoked_at is not None or row.expires_at <= now or row.account.disabled_at is not None:
        return None
    if row.account.organisation.kind != "controller":
        return None
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return Principal(account=row.account, token=row)
