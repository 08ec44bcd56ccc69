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


def make_token(task_id, user_id: int, session_key: str) -> str:
    """A token naming the task, bound to this user's session (useless in another browser)."""
    return signing.dumps({"t": str(task_id), "u": user_id, "s": _session_tag(session_key)}, salt=SALT, compress=False)


def read_token(token: str, user_id: int, session_key: str) -> str | None:
    """The task id if the token is genuine, fresh and bound to this session; else None."""
    try:
        data = signing.loads(token, salt=SALT, max_age=settings.QUIETROOM["STREAM_TOKEN_SECONDS"])
    except signing.BadSignature:
        return None
    if data.get("u") != user_id or data.get("s") != _session_tag(session_key or ""):
        return None
    return data.get("t")


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
