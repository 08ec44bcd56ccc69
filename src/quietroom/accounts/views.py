"""Logging in (password, then TOTP) and onboarding by invitation."""
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
from django.views.decorators.http import require_http_methods, require_POST

from quietroom.audit.log import Actor, record
from quietroom.recordings.pseudonyms import user_pseudonym

from . import invitations, totp
from .addresses import client_address
from .forms import ChoosePasswordForm, CodeForm, LoginForm
from .models import User

PENDING_LOGIN_SECONDS = 5 * 60
GENERIC_FAILURE = "Username or password is incorrect."


@require_http_methods(["GET", "POST"])
def login_view(request):
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        user = authenticate(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        if user is None:
            known = User.objects.filter(username=form.cleaned_data["username"]).exists()
            record(Actor(name=form.cleaned_data["username"] if known else "unknown", address=address),
                   "login.password", outcome="denied", details={"reason": "bad credentials"})
            error = GENERIC_FAILURE
        elif not user.has_second_factor:
            record(Actor.for_user(user, address), "login.password", outcome="denied",
                   details={"reason": "no second factor enrolled"})
            error = "This account has not finished onboarding. Ask your vendor manager for a new invitation."
        elif user.role == User.Role.REVIEWER and not (user.site and user.site.allows_address(address)):
            record(Actor.for_user(user, address), "login.password", outcome="denied",
                   details={"reason": "network is not an approved site for this account"})
            error = "You can only sign in from your assigned site's network."
        else:
            request.session.cycle_key()
            request.session["pending_user"] = user.pk
            request.session["pending_since"] = time.time()
            record(Actor.for_user(user, address), "login.password")
            return redirect("accounts:verify")
    return render(request, "accounts/login.html", {"form": form, "error": error}, status=200 if not error else 401)


@require_http_methods(["GET", "POST"])
def verify_view(request):
    pk = request.session.get("pending_user")
    since = request.session.get("pending_since", 0)
    if not pk or time.time() - since > PENDING_LOGIN_SECONDS:
        request.session.flush()
        return redirect("accounts:login")
    user = User.objects.select_related("site", "organisation").get(pk=pk)
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        address = client_address(request)
        if totp.verify_and_consume(user, form.cleaned_data["code"]):
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            record(Actor.for_user(user, address), "login", details={"factor": "totp"})
            return redirect("review:room")
        record(Actor.for_user(user, address), "login.totp", outcome="denied", details={"reason": "invalid or reused code"})
        error = "That code is not valid. Wait for the next code and try again."
    return render(request, "accounts/verify.html", {"form": form, "error": error}, status=200 if not error else 401)


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        record(Actor.for_user(request.user, client_address(request)), "logout")
    logout(request)
    return redirect("accounts:login")


@require_http_methods(["GET", "POST"])
def invitation_view(request, token: str):
    invitation = invitations.find_usable(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    draft = User(username=invitation.username, organisation=invitation.organisation)
    form = ChoosePasswordForm(request.POST or None, user=draft)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            # Lock and re-check: two tabs racing with the same link get one account.
            invitation = type(invitation).objects.select_for_update().get(pk=invitation.pk)
            if invitation.used_at is not None:
                return render(request, "accounts/invitation_invalid.html", status=404)
            user, _ = User.objects.get_or_create(username=invitation.username, defaults={"organisation": invitation.organisation})
            if user.has_second_factor:
                return HttpResponseBadRequest("This account is already active.")
            user.organisation = invitation.organisation
            user.site = invitation.site
            user.role = invitation.role
            user.locales = invitation.locales
            user.pseudonym = user.pseudonym or None
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
            record(Actor.for_user(user, client_address(request)), "invitation.accepted", object_type="invitation", object_id=invitation.pk)
        request.session.cycle_key()
        request.session["enrol_user"] = user.pk
        return redirect("accounts:enrol")
    return render(request, "accounts/invitation.html", {"form": form, "invitation": invitation})


def _qr_svg(data: str) -> str:
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    svg = buffer.getvalue().decode()
    return svg[svg.index("<svg"):]  # drop the XML declaration; embedded inline


@require_http_methods(["GET", "POST"])
def enrol_view(request):
    pk = request.session.get("enrol_user")
    if not pk:
        return redirect("accounts:login")
    user = User.objects.select_related("site", "organisation").get(pk=pk)
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        if totp.verify_and_consume(user, form.cleaned_data["code"]):
            user.totp_confirmed = True
            user.save(update_fields=["totp_confirmed"])
            del request.session["enrol_user"]
            record(Actor.for_user(user, client_address(request)), "second_factor.enrolled", details={"factor": "totp"})
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect("review:room")
        error = "That code is not valid. Check the time on your phone and try the next code."
    uri = totp.provisioning_uri(user)
    return render(request, "accounts/enrol.html", {
        "form": form, "error": error, "secret": user.totp_secret, "qr_svg": _qr_svg(uri), "uri": uri,
    })
