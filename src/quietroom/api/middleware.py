"""Every API call is audited: who (service account or anonymous), what, and the outcome."""
from __future__ import annotations

from quietroom.audit.log import Actor, record

API_PREFIX = "/api/v1/"


class AuditApiCallsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(API_PREFIX):
            principal = getattr(request, "api_principal", None)
            status = response.status_code
            outcome = "ok" if status < 400 else ("denied" if status in (401, 403) else "failed")
            actor = Actor(
                name=principal.actor_name if principal else "anonymous", role="service_account",
                organisation=principal.organisation.name if principal else "",
                address=request.META.get("REMOTE_ADDR", "")[:45],
            )
            # The path carries ids only (never content); query strings are left out.
            record(actor, "api.call", outcome=outcome, object_type="api", details={
                "method": request.method, "path": request.path[:200], "status": status,
                "token": principal.token.prefix if principal else "",
            })
        return response
