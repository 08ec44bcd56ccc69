"""Short-lived stream tokens and HTTP range handling for snippet audio."""
from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.core import signing

SALT = "quietroom.stream.v1"
RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _session_tag(session_key: str) -> str:
    return hashlib.sha256(("stream-session:" + session_key).encode()).hexdigest()[:24]


def lease_tag(task) -> str:
    """Names one lease of a task: a link minted under an earlier lease is useless under a later one."""
    return task.assigned_at.isoformat() if task.assigned_at else ""


def make_token(task_id, user_id: int, session_key: str, lease: str = "") -> str:
    """A token naming the task and its lease, bound to this user's session (useless in another browser)."""
    return signing.dumps({"t": str(task_id), "u": user_id, "s": _session_tag(session_key), "l": lease},
                         salt=SALT, compress=False)


def read_token(token: str, user_id: int, session_key: str) -> tuple[str, str] | None:
    """(task id, lease tag) if the token is genuine, fresh and bound to this session; else None."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.QUIETROOM["STREAM_TOKEN_SECONDS"])
    except signing.BadSignature:
        return None
    if data.get("u") != user_id or data.get("s") != _session_tag(session_key or ""):
        return None
    return data.get("t"), data.get("l", "")


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """(start, end inclusive) for a single-range header; None means 'whole body'.

    Raises ValueError for an unsatisfiable range.
    """
    if not header:
        return None
    match = RANGE_RE.match(header.strip())
    if not match or (not match.group(1) and not match.group(2)):
        return None  # malformed or multi-range: RFC 9110 lets us send the whole body
    first, last = match.groups()
    if first:
        start = int(first)
        end = min(int(last), size - 1) if last else size - 1
    else:
        start = max(size - int(last), 0)
        end = size - 1
    if start >= size or start > end:
        raise ValueError("unsatisfiable range")
    return start, end


def audio_response(body: bytes, content_type: str, range_header: str):
    """The HTTP response for audio that the gate released: ranges honoured, never cached,
    never offered as a download. Shared by the reviewer room and the escalation queue."""
    from django.http import HttpResponse

    size = len(body)
    try:
        span = parse_range(range_header, size)
    except ValueError:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
    else:
        if span is None:
            response = HttpResponse(body, content_type=content_type)
        else:
            start, end = span
            response = HttpResponse(body[start:end + 1], content_type=content_type, status=206)
            response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "no-store, private"
    response["Content-Disposition"] = "inline"
    response["X-Content-Type-Options"] = "nosniff"
    return response
