"""Signing in (password, then TOTP, a security key or a recovery code) and onboarding by invitation."""
from __future__ import annotations

import io
import time

import qrcode
import qrcode.image.svg
from django.contrib.auth import authenticate, login, logout
from django.db import transaction
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from quietroom.audit.log import Actor, record

from . import invitations, recovery, throttle, totp
from .access import access_refusal, audit_reason, vendor_reasons
from .addresses import client_address
from .forms import ChoosePasswordForm, CodeForm, LoginForm
from .home_views import home_for
from .models import User
from .pseudonyms import user_pseudonym
from .sessions import ENDED_REASON

PENDING_LOGIN_SECONDS = 5 * 60
GENERIC_FAILURE = "Username or password is incorrect."
ENDED_MESSAGES = {
    "signed in elsewhere": "Your session ended because your account signed in somewhere else.",
    "session older than the absolute limit": "Your session reached its 12-hour limit. Sign in again.",
    "account disabled": "Your account has been disabled.",
}


def _throttled(request, error_template: str, form, wait: int):
    return render(request, error_template, {
        "form": form, "error": f"Too many attempts. Wait {wait} seconds, then try again.",
    }, status=429)


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    form = LoginForm(request.POST or None)
    error = ""
    ended = request.session.pop(ENDED_REASON, "") if request.method == "GET" else ""
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        username = form.cleaned_data["username"]
        now = timezone.now()
        verdict = throttle.check(username, address, now)
        if not verdict.allowed:
            record(Actor(name="throttled", address=address), "login.password", outcome="denied",
                   details={"reason": "throttled", "wait_seconds": verdict.wait_seconds})
            return _throttled(request, "accounts/login.html", form, verdict.wait_seconds)
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if user is None:
            throttle.record_failure(username, address, now)
            known = User.objects.filter(username=username).exists()
            record(Actor(name=username if known else "unknown", address=address),
                   "login.password", outcome="denied", details={"reason": "bad credentials"})
            error = GENERIC_FAILURE
        elif not user.has_second_factor:
            record(Actor.for_user(user, address), "login.password", outcome="denied",
                   details={"reason": "no second factor enrolled"})
            error = "This account has not finished onboarding. Ask your vendor manager for a new invitation."
        elif refusal := access_refusal(user, address):
            record(Actor.for_user(user, address), "login.password", outcome="denied",
                   details={"reason": audit_reason(refusal)})
            error = refusal
        else:
            request.session.cycle_key()
            request.session["pending_user"] = user.pk
            request.session["pending_since"] = time.time()
            record(Actor.for_user(user, address), "login.password")
            return redirect("accounts:verify")
    return render(request, "accounts/login.html", {
        "form": form, "error": error, "ended": ENDED_MESSAGES.get(ended, ""),
    }, status=200 if not error else 401)


def pending_user(request) -> User | None:
    """The user who passed the password step in this session within the last 5 minutes."""
    pk = request.session.get("pending_user")
    since = request.session.get("pending_since", 0)
    if not pk or time.time() - since > PENDING_LOGIN_SECONDS:
        return None
    return User.objects.select_related("site", "organisation").filter(pk=pk, is_active=True).first()


def complete_login(request, user: User, factor: str) -> None:
    """Both factors passed: a new session id, the single-session rule, audit."""
    address = client_address(request)
    request.session.pop("pending_user", None)
    request.session.pop("pending_since", None)
    login(request, user, backend="quietroom.accounts.backends.AccountBackend")
    throttle.clear_account(user.get_username())
    record(Actor.for_user(user, address), "login", details={"factor": factor})


@never_cache
@require_http_methods(["GET", "POST"])
def verify_view(request):
    user = pending_user(request)
    if user is None:
        request.session.flush()
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        now = timezone.now()
        verdict = throttle.check(user.get_username(), address, now)
        if not verdict.allowed:
            record(Actor.for_user(user, address), "login.totp", outcome="denied", details={"reason": "throttled"})
            return render(request, "accounts/verify.html", {
                "form": form, "user_has_keys": user.security_keys > 0,
                "error": f"Too many attempts. Wait {verdict.wait_seconds} seconds, then try again."}, status=429)
        code = form.cleaned_data["code"]
        if recovery.looks_like_code(code):
            if recovery.consume(user, code):
                complete_login(request, user, "recovery_code")
                record(Actor.for_user(user, address), "recovery_code.used",
                       details={"remaining": recovery.remaining(user)})
                return redirect(home_for(user))
            reason = "invalid or used recovery code"
        elif totp.verify_and_consume(user, code):
            complete_login(request, user, "totp")
            return redirect(home_for(user))
        else:
            reason = "invalid or reused code"
        throttle.record_failure(user.get_username(), address, now)
        record(Actor.for_user(user, address), "login.totp", outcome="denied", details={"reason": reason})
        error = "That code is not valid. Wait for the next code and try again."
    return render(request, "accounts/verify.html", {
        "form": form, "error": error, "user_has_keys": user.security_keys > 0,
    }, status=200 if not error else 401)


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        record(Actor.for_user(request.user, client_address(request)), "logout")
    logout(request)
    return redirect("accounts:login")


@never_cache
@require_http_methods(["GET", "POST"])
def invitation_view(request, token: str):
    # Looking links up is throttled per address exactly like sign-in (and shares its count):
    # a bad link is a failed step, and a throttled address waits before any link, good or bad.
    address = client_address(request)
    now = timezone.now()
    verdict = throttle.check_address(address, now)
    if not verdict.allowed:
        record(Actor(name="throttled", address=address), "invitation.lookup", outcome="denied",
               details={"reason": "throttled", "wait_seconds": verdict.wait_seconds})
        return render(request, "accounts/refused.html", {
            "heading": "Too many attempts",
            "reason": f"Too many attempts. Wait {verdict.wait_seconds} seconds, then try again."}, status=429)
    invitation = invitations.find_usable(token)
    if invitation is None:
        throttle.record_failure(throttle.INVITATION_KEY, address, now)
        record(Actor(name="unknown", address=address), "invitation.lookup", outcome="denied",
               details={"reason": "unknown, used, revoked or expired link"})
        return render(request, "accounts/invitation_invalid.html", status=404)
    if vendor_reasons(invitation):
        return _invitation_refused(request, invitation, address)
    existing = User.objects.filter(username=invitation.username).select_related("organisation").first()
    draft = existing or User(username=invitation.username, organisation=invitation.organisation)
    form = ChoosePasswordForm(request.POST or None, user=draft)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            # Lock and re-check: two tabs racing with the same link get one account.
            invitation = type(invitation).objects.select_for_update().get(pk=invitation.pk)
            if invitation.used_at is not None or invitation.revoked_at is not None:
                return render(request, "accounts/invitation_invalid.html", status=404)
            if vendor_reasons(invitation):  # approval withdrawn while the form was open
                return _invitation_refused(request, invitation, address)
            user, _ = User.objects.get_or_create(username=invitation.username, defaults={"organisation": invitation.organisation})
            if user.has_second_factor or not user.is_active or user.offboarded_at is not None:
                return HttpResponseBadRequest("This account cannot be onboarded with this link.")
            if user.organisation_id not in (None, invitation.organisation_id):
                # A link from one organisation can never take over another's account.
                return HttpResponseBadRequest("This account cannot be onboarded with this link.")
            user.organisation = invitation.organisation
            user.site = invitation.site
            user.role = invitation.role
            user.locales = invitation.locales
            if invitation.email:  # the inviter's address for them; blank keeps the one they have
                user.email = invitation.email
            user.set_password(form.cleaned_data["password"])
            user.totp_secret = totp.new_secret()
            user.totp_confirmed = False
            user.save()
            if not user.pseudonym:
                user.pseudonym = user_pseudonym(user.pk)
                user.save(update_fields=["pseudonym"])
            invitation.used_at = timezone.now()
            invitation.user = user
            invitation.save(update_fields=["used_at", "user"])
            record(Actor.for_user(user, address), "invitation.accepted", object_type="invitation", object_id=invitation.pk)
        request.session.cycle_key()
        request.session["enrol_user"] = user.pk
        return redirect("accounts:enrol")
    return render(request, "accounts/invitation.html", {"form": form, "invitation": invitation})


def _invitation_refused(request, invitation, address: str):
    """A link of a vendor that is not approved (never, or no longer) onboards nobody."""
    reasons = vendor_reasons(invitation)
    record(Actor(name=invitation.username, organisation=invitation.organisation.name, address=address),
           "invitation.accepted", outcome="denied", object_type="invitation", object_id=invitation.pk,
           details={"reason": reasons[0]})
    return render(request, "accounts/refused.html", {
        "heading": "This invitation cannot be used now",
        "reason": "Your organisation is not an approved vendor at the moment, so nobody can join it. "
                  "Ask your vendor manager."}, status=403)


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg"):]  # drop the XML declaration; embedded inline


def enrolling_user(request) -> User | None:
    pk = request.session.get("enrol_user")
    if not pk:
        return None
    return User.objects.select_related("site", "organisation").filter(pk=pk, is_active=True).first()


def finish_enrolment(request, user: User, factor: str) -> str:
    """The factor is enrolled; sign the person in under the same rule as a password sign-in.

    Returns the refusal ('' when signed in). A refused person keeps the factor they just
    enrolled and signs in the usual way once they are where the rule allows (their site).
    """
    address = client_address(request)
    request.session.pop("enrol_user", None)
    record(Actor.for_user(user, address), "second_factor.enrolled", details={"factor": factor})
    if refusal := access_refusal(user, address):
        record(Actor.for_user(user, address), "login.enrolment", outcome="denied",
               details={"reason": audit_reason(refusal)})
        return refusal
    login(request, user, backend="quietroom.accounts.backends.AccountBackend")
    return ""


def enrolment_refused(request, refusal: str):
    return render(request, "accounts/refused.html", {
        "heading": "Your second factor is set up, but you cannot sign in from here",
        "reason": refusal}, status=403)


@never_cache
@require_http_methods(["GET", "POST"])
def enrol_view(request):
    user = enrolling_user(request)
    if user is None:
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        if totp.verify_and_consume(user, form.cleaned_data["code"]):
            user.totp_confirmed = True
            user.save(update_fields=["totp_confirmed"])
            if refusal := finish_enrolment(request, user, "totp"):
                return enrolment_refused(request, refusal)
            return redirect(home_for(user))
        error = "That code is not valid. Check the time on your phone and try the next code."
    uri = totp.provisioning_uri(user)
    return render(request, "accounts/enrol.html", {
        "form": form, "error": error, "secret": user.totp_secret, "qr_svg": _qr_svg(uri), "uri": uri,
    })
