"""Structured request logging: one JSON line per request, with a request id, no personal data.

The path is logged as its route pattern ("room/stream/<str:token>"), never the raw path, so
tokens and ids in URLs do not reach the logs; no query strings, bodies or usernames either.
"""
from __future__ import annotations

import logging
import re
import time
import uuid
from contextvars import ContextVar

from .metrics import REQUEST_LATENCY
from .redaction import redact

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
_SAFE_ID = re.compile(r"^[A-Za-z0-9_.-]{8,64}$")
logger = logging.getLogger("quietroom.request")


class RequestIdFilter(logging.Filter):
    """Adds the current request id to every log record (JSON field request_id)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


class RefusalsInOneLine(logging.Filter):
    """A refusal (a 4xx Django logs: 403, 400, 405...) is one line, with no traceback.

    Django logs a PermissionDenied with the exception attached (`exc_info`), so every 403, the
    access policy doing its job, printed a full traceback to the console and buried the errors
    that matter. For a 4xx this keeps the message Django wrote ("Forbidden (Permission denied):
    /path"), the status (`status_code`) and the request as method and path, without its query
    string (search terms, ids and `next=` links live there), and drops the traceback. A 5xx
    keeps its traceback: that is a fault to fix.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if isinstance(status, int) and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
            request = getattr(record, "request", None)
            if request is not None and not isinstance(request, str):
                # The redaction filter leaves a string alone, so the token routes are redacted here.
                record.request = redact(f"<{type(request).__name__}: {getattr(request, 'method', '?')} "
                                        f"{getattr(request, 'path', '?')!r}>")
        return True


def _route(request) -> str:
    match = getattr(request, "resolver_match", None)
    return match.route if match is not None and match.route else "unmatched"


class RequestLogMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        elapsed = time.perf_counter() - started
        route = _route(request)
        REQUEST_LATENCY.labels(route=route, status=f"{response.status_code // 100}xx").observe(elapsed)
        response["X-Request-ID"] = request_id
        logger.info("request", extra={
            "request_id": request_id, "method": request.method, "route": route,
            "status": response.status_code, "ms": round(elapsed * 1000, 1),
        })
        return response
