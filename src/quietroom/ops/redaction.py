"""Live tokens never reach a log: one redaction, applied to every log record.

Some URLs carry a bearer secret as a path segment: an invitation link
(/accounts/invite/<token>/) onboards whoever holds it, and a stream link (/room/stream/<token>)
names a task, a user and a session. Django's own loggers write raw paths ("Not Found: %s",
"Method Not Allowed (HEAD): %s", "Forbidden: %s", the runserver request line), and so do
gunicorn's access and error logs. `redact` rewrites such a segment to `[redacted]`, wherever
it appears in a message (request lines, percent-encoded `?next=` values included).

It is applied in three places, all through `RedactTokens.filter`:
- a log record factory (`install`), so every record of every logger in the process is
  redacted when it is created, before any handler (or test capture) sees it;
- a filter on the handlers in settings.LOGGING, for what is attached to a record after it is
  created (Django's `request` extra, which the JSON formatter would print);
- `GunicornLogger`, gunicorn's logger class (`quietroom serve` passes `--logger-class`), for
  the access and error logs of the gunicorn master and workers.

No Django import here: gunicorn loads this module before the app.
"""
from __future__ import annotations

import logging
import re
from collections.abc import Mapping, MutableMapping

from gunicorn import glogging

REDACTED = "[redacted]"

# Every route whose path segment is a bearer token (tests/ops/test_log_redaction.py walks the
# URLconf and fails when a `<str:...>` route is missing here). Written as path segments.
TOKEN_ROUTES = (("accounts", "invite"), ("room", "stream"))

_SLASH = r"(?:/|%2F)+"  # a path separator, also percent-encoded (a ?next= value)


def _token_pattern(routes) -> re.Pattern:
    prefixes = "|".join(_SLASH.join(re.escape(part) for part in route) for route in routes)
    # The segment ends at a separator, a query, a fragment, whitespace or a quote.
    segment = r"(?:(?!%2F)[^/?#&\s\"'<>\\])+"
    return re.compile(rf"(?P<route>{_SLASH}(?:{prefixes}){_SLASH})(?P<token>{segment})", re.IGNORECASE)


_TOKEN_SEGMENT = _token_pattern(TOKEN_ROUTES)


def redact(text: str) -> str:
    """`text` with every token path segment replaced by [redacted] (idempotent)."""
    if not isinstance(text, str):
        return text
    return _TOKEN_SEGMENT.sub(lambda m: m.group("route") + REDACTED, text)


def _redacted_value(value):
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, (bool, int, float, bytes)):
        return value
    try:
        shown = str(value)  # what %s would print: an HttpRequest's repr carries its path
    except Exception:
        return value
    cleaned = redact(shown)
    return value if cleaned == shown else cleaned


def redact_record(record: logging.LogRecord) -> logging.LogRecord:
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    args = record.args
    if isinstance(args, tuple):
        record.args = tuple(_redacted_value(arg) for arg in args)
    elif isinstance(args, Mapping):
        # Redacted in place: gunicorn's access atoms are a dict subclass whose lookups matter.
        changed = {}
        for key, value in args.items():
            cleaned = _redacted_value(value)
            if cleaned is not value:
                changed[key] = cleaned
        if changed:
            if isinstance(args, MutableMapping):
                args.update(changed)
            else:
                record.args = {**args, **changed}
    request = record.__dict__.get("request")
    if request is not None and not isinstance(request, str):
        # Django's `request` extra: the JSON formatter would print its repr, path and all.
        record.request = redact(repr(request))
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    return record


class RedactTokens(logging.Filter):
    """The one redaction: rewrites a record's message, arguments and request in place."""

    def filter(self, record: logging.LogRecord) -> bool:
        redact_record(record)
        return True


_FILTER = RedactTokens()


def install() -> None:
    """Redact every log record of this process as it is created (idempotent)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "redacts_tokens", False):
        return

    def factory(*args, **kwargs):
        record = previous(*args, **kwargs)
        _FILTER.filter(record)
        return record

    factory.redacts_tokens = True
    logging.setLogRecordFactory(factory)


def configure_logging(config: dict) -> None:
    """settings.LOGGING_CONFIG: Django's dictConfig, then the record redaction."""
    import logging.config

    logging.config.dictConfig(config)
    install()


class GunicornLogger(glogging.Logger):
    """gunicorn's logger with the redaction on its access and error logs (and their handlers)."""

    def setup(self, cfg):
        super().setup(cfg)
        install()
        for log in (self.error_log, self.access_log):
            for target in (log, *log.handlers):
                if not any(isinstance(f, RedactTokens) for f in target.filters):
                    target.addFilter(_FILTER)
