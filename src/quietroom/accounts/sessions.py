"""Session rules: one active session per account, 12-hour absolute limit, ending sessions.

Django gives a new session id at login and the idle timeout (SESSION_COOKIE_AGE). What it does
not give is added here:

- renewal of the idle timeout by activity, written at most every QUIETROOM_SESSION_RENEW_SECONDS
  (Django's SESSION_SAVE_EVERY_REQUEST would write the session row on every request): a
  session idle for SESSION_COOKIE_AGE minus at most that interval ends;
- one session per account: the key of the latest sign-in is stored on the user; signing in
  elsewhere deletes the older session server-side and tells the user and their vendor manager
  (two people on one account is the signature of a shared login);
- an absolute limit: a session dies 12 hours after sign-in however active it is;
- ending every session of a user at once (disable, offboard, lost factor).

The middleware re-checks the stored key on every request, so even a session row that somehow
survived deletion cannot be used.
"""
from __future__ import annotations

import time
from importlib import import_module

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.contrib.sessions.models import Session
from django.dispatch import receiver
from django.shortcuts import redirect
from django.utils import timezone

from quietroom.audit.log import Actor, record

from .addresses import client_address
from .models import User
from .notices import notify, vendor_managers_of

LOGIN_AT = "quietroom_login_at"
RENEWED_AT = "quietroom_renewed_at"
ENDED_REASON = "quietroom_ended"


def renew_seconds() -> int:
    return int(getattr(settings, "QUIETROOM_SESSION_RENEW_SECONDS", 60))


def renew_if_due(session) -> None:
    """Mark the session for saving (which pushes its expiry) when the last renewal is old."""
    now = time.time()
    if session.session_key and now - float(session.get(RENEWED_AT, 0)) >= renew_seconds():
        session[RENEWED_AT] = now


def absolute_seconds() -> int:
    return int(getattr(settings, "QUIETROOM_SESSION_ABSOLUTE_SECONDS", 12 * 3600))


def _live(session_key: str) -> bool:
    return Session.objects.filter(session_key=session_key, expire_date__gt=timezone.now()).exists()


def _delete(session_key: str) -> None:
    Session.objects.filter(session_key=session_key).delete()


def _end_with_reason(session_key: str, reason: str) -> None:
    """Strip the session of its sign-in (server-side) but keep why, for the login page."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)
    store.clear()
    store[ENDED_REASON] = reason
    store.save()


@receiver(user_logged_in)
def _one_session_per_account(sender, request, user, **kwargs):
    new_key = request.session.session_key
    old_key = User.objects.filter(pk=user.pk).values_list("current_session_key", flat=True).first() or ""
    request.session[LOGIN_AT] = time.time()
    User.objects.filter(pk=user.pk).update(current_session_key=new_key or "")
    user.current_session_key = new_key or ""
    if old_key and old_key != new_key and _live(old_key):
        _end_with_reason(old_key, "signed in elsewhere")
        address = client_address(request) if hasattr(request, "META") else ""
        record(Actor.for_user(user, address), "session.replaced", details={"reason": "signed in elsewhere"})
        when = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
        notify(user, f"Your account was signed in from another session at {when}; the earlier session "
                     "was ended. If this was not you, tell your vendor manager now.")
        for manager in vendor_managers_of(user):
            notify(manager, f"{user.get_username()} was signed in from a second session at {when}; the earlier "
                            "session was ended. Accounts must never be shared.")


@receiver(user_logged_out)
def _forget_session(sender, request, user, **kwargs):
    if user is not None and request is not None:
        User.objects.filter(pk=user.pk, current_session_key=request.session.session_key or "").update(
            current_session_key="")


def end_all_sessions(user: User) -> None:
    """End every session of `user` now (server-side): disable, offboarding, lost factor."""
    key = User.objects.filter(pk=user.pk).values_list("current_session_key", flat=True).first()
    if key:
        _delete(key)
    User.objects.filter(pk=user.pk).update(current_session_key="")
    user.current_session_key = ""


class SessionPolicyMiddleware:
    """Ends sessions replaced by a newer sign-in, older than the absolute limit, or of a
    disabled account; runs after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            reason = ""
            if not user.is_active or user.offboarded_at is not None:
                reason = "account disabled"
            elif user.current_session_key != request.session.session_key:
                reason = "signed in elsewhere"
            elif time.time() - float(request.session.get(LOGIN_AT, 0)) > absolute_seconds():
                reason = "session older than the absolute limit"
            if reason:
                record(Actor.for_user(user, client_address(request)), "session.ended", details={"reason": reason})
                logout(request)
                request.session[ENDED_REASON] = reason
                return redirect(settings.LOGIN_URL)
        session = getattr(request, "session", None)
        if session is not None:
            renew_if_due(session)
        return self.get_response(request)
