"""Short-lived stream tokens (one per page view), page-view tokens for the escalation audio,
and HTTP range handling for snippet audio."""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core import signing

SALT = "quietroom.stream.v1"
VIEW_SALT = "quietroom.audio-view.v1"
# A case page left open longer than this starts a new play at its next request: a link kept
# for days must not fold later listening into an old play.
VIEW_SECONDS = 4 * 3600
RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _session_tag(session_key: str) -> str:
    return hashlib.sha256(("stream-session:" + session_key).encode()).hexdigest()[:24]


def lease_tag(task) -> str:
    """Names one lease of a task: a link minted under an earlier lease is useless under a later one."""
    return task.assigned_at.isoformat() if task.assigned_at else ""


def new_view() -> str:
    """A fresh name for one page view of a snippet's audio (random, never reused)."""
    return secrets.token_urlsafe(12)


def make_token(task_id, user_id: int, session_key: str, lease: str = "", view: str | None = None) -> str:
    """A token naming the task, its lease and this page view, bound to this user's session
    (useless in another browser). Minted once per render of the task page: every request the
    page makes for the audio (player, range requests, waveform) carries the same view, so the
    gate logs one play for the view and the rest as further bytes of it (docs/audit.md)."""
    return signing.dumps({"t": str(task_id), "u": user_id, "s": _session_tag(session_key), "l": lease,
                          "v": view or new_view()}, salt=SALT, compress=False)


@dataclass(frozen=True)
class StreamClaim:
    task_id: str
    lease: str
    view: str  # "" for a token minted before views existed: each request then counts as a play


def read_token(token: str, user_id: int, session_key: str) -> StreamClaim | None:
    """What a genuine token, fresh and bound to this session, names; else None."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.QUIETROOM["STREAM_TOKEN_SECONDS"])
    except signing.BadSignature:
        return None
    if data.get("u") != user_id or data.get("s") != _session_tag(session_key or ""):
        return None
    return StreamClaim(data.get("t"), data.get("l", ""), str(data.get("v", "")))


def make_view_token(subject_id, user_id: int) -> str:
    """One page view of audio outside the room (the escalation case page), for the audio link.

    Only groups the requests of a page view under one play: who may hear the audio is the
    gate's policy, so this token carries no permission, only the view, the subject and the user.
    """
    return signing.dumps({"o": str(subject_id), "u": user_id, "v": new_view()}, salt=VIEW_SALT, compress=False)


def read_view_token(token: str, subject_id, user_id: int) -> str:
    """The view a genuine, recent token of this user and subject names; "" otherwise (then the
    request counts as a play of its own: an unknown view is never merged into another)."""
    if not token:
        return ""
    try:
        data = signing.loads(token, salt=VIEW_SALT, max_age=VIEW_SECONDS)
    except signing.BadSignature:
        return ""
    if data.get("o") != str(subject_id) or data.get("u") != user_id:
        return ""
    return str(data.get("v", ""))


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
