"""Invitations: single-use links with a short expiry; only a hash of the token is stored."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .models import Invitation


def token_hash(token: str) -> str:
    return hashlib.sha256(("quietroom/invitation/v1:" + token).encode()).hexdigest()


def create_invitation(*, organisation, username: str, role: str, site=None, locales=(), hours=None,
                      created_by=None, email: str = "") -> tuple[Invitation, str]:
    """Returns the invitation and its token; the token is shown once and never stored.

    `email` (checked by the caller, see `services.clean_email`) is copied onto the person when
    they accept; blank leaves the address they have.
    """
    token = secrets.token_urlsafe(32)
    hours = hours or settings.QUIETROOM["INVITATION_HOURS"]
    invitation = Invitation.objects.create(
        token_hash=token_hash(token), organisation=organisation, site=site, role=role,
        locales=list(locales), username=username, expires_at=timezone.now() + timedelta(hours=hours),
        created_by=created_by, email=email,
    )
    return invitation, token


def find_usable(token: str) -> Invitation | None:
    invitation = Invitation.objects.filter(token_hash=token_hash(token)).select_related("organisation", "site").first()
    if (invitation is None or invitation.used_at is not None or invitation.revoked_at is not None
            or invitation.expires_at <= timezone.now()):
        return None
    return invitation
