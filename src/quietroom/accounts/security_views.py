"""A person's own security: security keys (WebAuthn), recovery codes, notices.

The WebAuthn endpoints answer JSON to static/quietroom/webauthn.js. Registration works for a
signed-in person and during onboarding (instead of TOTP); sign-in works only for the person
who passed the password step in this session.
"""
from __future__ import annotations

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from quietroom.audit.log import Actor, record

from . import recovery, throttle, training, webauthn_flow
from .addresses import client_address
from .home_views import home_for
from .models import Notice
from .permissions import OWN_SECURITY, TAKE_TRAINING, own_credentials, requires
from .views import complete_login, enrolling_user, finish_enrolment, pending_user

MAX_JSON = 64 * 1024


def _json_body(request) -> str:
    if len(request.body) > MAX_JSON:
        raise Http404("too large")
    return request.body.decode("utf-8", "replace")


def _json_options(text: str) -> HttpResponse:
    response = HttpResponse(text, content_type="application/json")
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_GET
@requires(OWN_SECURITY)
def security_view(request):
    return render(request, "accounts/security.html", {
        "credentials": own_credentials(request.user).order_by("created_at"),
        "recovery_left": recovery.remaining(request.user),
        "has_totp": request.user.totp_confirmed,
    })


@never_cache
@require_POST
@requires(OWN_SECURITY)
def recovery_codes_view(request):
    codes = recovery.regenerate(request.user)
    record(Actor.for_user(request.user, client_address(request)), "recovery_codes.created",
           details={"count": len(codes)})
    return render(request, "accounts/recovery_codes.html", {"codes": codes})


@require_POST
@requires(OWN_SECURITY)
def remove_key_view(request, credential_id: int):
    credential = get_object_or_404(own_credentials(request.user), pk=credential_id)
    user = request.user
    if user.security_keys <= 1 and not user.totp_confirmed:
        return render(request, "accounts/security.html", {
            "credentials": own_credentials(user).order_by("created_at"), "recovery_left": recovery.remaining(user),
            "has_totp": user.totp_confirmed,
            "error": "This is your only second factor; add another before removing it."}, status=400)
    webauthn_flow.remove(user, credential)
    record(Actor.for_user(user, client_address(request)), "second_factor.removed", details={"factor": "webauthn"})
    return redirect("accounts:security")


def _registering_user(request):
    if request.user.is_authenticated:
        return request.user, False
    user = enrolling_user(request)
    return user, True


@require_POST
def webauthn_register_options(request):
    user, _ = _registering_user(request)
    if user is None:
        return JsonResponse({"error": "sign in first"}, status=403)
    return _json_options(webauthn_flow.registration_options(request.session, user))


@require_POST
def webauthn_register_verify(request):
    user, enrolling = _registering_user(request)
    if user is None:
        return JsonResponse({"error": "sign in first"}, status=403)
    name = request.GET.get("name", "Security key")
    try:
        webauthn_flow.register(request.session, user, _json_body(request), name=name)
    except webauthn_flow.WebAuthnFailed as failed:
        record(Actor.for_user(user, client_address(request)), "second_factor.enrol", outcome="denied",
               details={"factor": "webauthn", "reason": str(failed)})
        return JsonResponse({"error": str(failed)}, status=400)
    if enrolling:
        if refusal := finish_enrolment(request, user, "webauthn"):
            return JsonResponse({"error": f"Your security key is registered, but you cannot sign in from here: {refusal}"},
                                status=403)
        return JsonResponse({"redirect": reverse(home_for(user))})
    record(Actor.for_user(user, client_address(request)), "second_factor.added", details={"factor": "webauthn"})
    return JsonResponse({"redirect": reverse("accounts:security")})


@require_POST
def webauthn_login_options(request):
    user = pending_user(request)
    if user is None:
        return JsonResponse({"error": "enter your password first"}, status=403)
    return _json_options(webauthn_flow.authentication_options(request.session, user))


@require_POST
def webauthn_login_verify(request):
    user = pending_user(request)
    if user is None:
        return JsonResponse({"error": "enter your password first"}, status=403)
    address = client_address(request)
    now = timezone.now()
    verdict = throttle.check(user.get_username(), address, now)
    if not verdict.allowed:
        return JsonResponse({"error": f"Too many attempts. Wait {verdict.wait_seconds} seconds."}, status=429)
    try:
        webauthn_flow.authenticate(request.session, user, _json_body(request))
    except webauthn_flow.WebAuthnFailed as failed:
        throttle.record_failure(user.get_username(), address, now)
        record(Actor.for_user(user, address), "login.webauthn", outcome="denied", details={"reason": str(failed)})
        return JsonResponse({"error": "The security key was not accepted."}, status=401)
    complete_login(request, user, "webauthn")
    return JsonResponse({"redirect": reverse(home_for(user))})


@never_cache
@require_GET
@requires(OWN_SECURITY)
def notices_view(request):
    notices = list(Notice.objects.filter(user=request.user)[:50])
    Notice.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    request.user.unread_notices = 0  # the badge counted with the session is out of date now
    return render(request, "accounts/notices.html", {"notices": notices})


@never_cache
@require_http_methods(["GET", "POST"])
@requires(TAKE_TRAINING)
def training_view(request):
    form = training.QuizForm(request.POST or None)
    result = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        wrong = form.wrong_count()
        actor = Actor.for_user(request.user, client_address(request))
        if wrong == 0:
            training.record_pass(request.user, timezone.now())
            record(actor, "training.passed")
            result = "passed"
        else:
            record(actor, "training.failed", outcome="denied", details={"wrong": wrong})
            result = f"{wrong} of {len(training.QUESTIONS)} answers are wrong. Read the rules again and retry."
            status = 400
    return render(request, "accounts/training.html", {
        "form": form, "result": result, "until": request.user.training_passed_until,
    }, status=status)
