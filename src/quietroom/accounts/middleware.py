"""Security middleware: headers Django does not set itself, and the site rule on every request."""
from __future__ import annotations

from django.contrib import auth
from django.contrib.auth import middleware as auth_middleware
from django.shortcuts import render
from django.utils.functional import SimpleLazyObject

from quietroom.audit.log import Actor, record

from .access import OFF_SITE, SITE_BOUND_ROLES, audit_reason, site_refusal
from .addresses import client_address
from .session_store import current_store

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CSP)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class SiteNetworkMiddleware:
    """A site-bound person (reviewer, QA lead) is served only from their site's networks, on
    every request, not only at sign-in.

    A session opened at the site and then used from elsewhere (a copied cookie, a laptop taken
    home) is refused with the reason (403) and the refusal is audited (`access.denied`). Nothing
    else happens: the session is not ended, so the same person carries on once back on the site
    network, and may always sign out. The address is `client_address` (X-Forwarded-For only from
    QUIETROOM_TRUSTED_PROXIES), the rule `access.site_refusal` (remote work allowed by the
    controller lifts it), exactly as at sign-in. Runs after AuthenticationMiddleware and
    SessionPolicyMiddleware, on every view; static files are served before it (WhiteNoise).
    """

    # The sign-in steps (which apply the whole rule themselves), signing out, the health probes.
    EXEMPT_VIEWS = frozenset({
        "accounts:login", "accounts:verify", "accounts:webauthn_login_options", "accounts:webauthn_login_verify",
        "accounts:logout", "healthz", "readyz", "metrics",
    })

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or user.role not in SITE_BOUND_ROLES:
            return None
        view_name = request.resolver_match.view_name if request.resolver_match else ""
        if view_name in self.EXEMPT_VIEWS:
            return None
        address = client_address(request)
        refusal = site_refusal(user, address)
        if not refusal:
            return None
        record(Actor.for_user(user, address), "access.denied", outcome="denied",
               details={"view": view_name, "reason": audit_reason(refusal)})
        # A refused request is not activity: it must not push the idle expiry (renewed by
        # SessionPolicyMiddleware before the view), so off-site requests cannot keep it alive.
        request.session.modified = False
        return render(request, "accounts/refused.html", {
            "heading": "QuietRoom is not available from here",
            "reason": "You can only use QuietRoom from your assigned site's network." if refusal == OFF_SITE else refusal,
            "hint": "Your session is kept: it works again from your site's network, and you can sign out.",
        }, status=403)


class AuthenticationMiddleware(auth_middleware.AuthenticationMiddleware):
    """Django's, with the user looked up while the request's session store is known, so
    `AccountBackend.get_user` can take the user read with the session row
    (accounts/session_store.py: one statement for both). Django's `get_user` does the rest as
    always: the backend, `user_can_authenticate` and the session's auth hash."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _get_user(request))


def _get_user(request):
    if not hasattr(request, "_cached_user"):
        token = current_store.set(request.session)
        try:
            request._cached_user = auth.get_user(request)
        finally:
            current_store.reset(token)
    return request._cached_user
