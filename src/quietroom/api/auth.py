"""Bearer-token authentication and scope checks for the API."""
from __future__ import annotations

from ninja.errors import HttpError
from ninja.security import HttpBearer

from .tokens import Principal, authenticate


class ServiceToken(HttpBearer):
    def authenticate(self, request, token: str) -> Principal | None:
        principal = authenticate(token)
        if principal is not None:
            request.api_principal = principal  # for the audit middleware
        return principal


def require(request, scope: str) -> Principal:
    principal: Principal = request.auth
    if scope not in principal.scopes:
        raise HttpError(403, f"this token lacks the scope {scope}")
    return principal
