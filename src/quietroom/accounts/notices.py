"""Telling people things: an in-app notice and, when they have an address, an e-mail.

E-mail goes through Django's configured backend (the console in the demo). Messages carry no
secrets and no links that sign anyone in.
"""
from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail

from .models import Notice, User

log = logging.getLogger(__name__)


def notify(user: User, message: str, *, subject: str = "QuietRoom security notice", email: bool = True) -> Notice:
    """An in-app notice for `user`; with `email`, the same text to their address if they have one."""
    notice = Notice.objects.create(user=user, message=message[:500])
    if email:
        send_email(user, subject, message, notice=notice)
    return notice


def send_email(user: User, subject: str, body: str, *, notice: Notice | None = None) -> bool:
    """One message to one person (nobody sees who else was told); False if none went out."""
    if not user.email:
        return False
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    except OSError:
        # The in-app notice is the record; a mail server outage must not block sign-in, nor
        # a reviewer's submission whose case is announced after it commits.
        log.warning("notice e-mail could not be sent (notice %s)", notice.pk if notice else "-")
        return False
    return True


def vendor_managers_of(user: User):
    if user.organisation_id is None:
        return User.objects.none()
    return User.objects.filter(organisation_id=user.organisation_id, role=User.Role.VENDOR_MANAGER,
                               is_active=True).exclude(pk=user.pk)


def unread_count(user: User) -> int:
    """Unread notices (the menu's badge): counted with the session when the user was read with
    it (accounts/session_store.py), else here."""
    if getattr(user, "unread_notices", None) is not None:
        return user.unread_notices
    return Notice.objects.filter(user=user, read_at__isnull=True).count()
