"""Issue 14, hole 4: no live token reaches a log — Django's loggers, our JSON log, gunicorn's.

Each test requests token-bearing URLs the way an attacker or a confused browser would (HEAD,
a wrong sub-path, a link from another session), captures what every logger wrote, and greps
the capture for the token.
"""
from __future__ import annotations

import io
import logging
import re
import secrets
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from quietroom.accounts.invitations import create_invitation
from quietroom.ops import redaction
from quietroom.ops.serving import gunicorn_command
from quietroom.review import streaming


@pytest.fixture
def json_log():
    """What the configured JSON console handler (settings.LOGGING) writes, as text."""
    handlers = [h for h in logging.getLogger().handlers
                if any(isinstance(f, redaction.RedactTokens) for f in h.filters)]
    assert handlers, "settings.LOGGING's console handler carries the redaction filter"
    buffer = io.StringIO()
    previous = [h.setStream(buffer) for h in handlers]
    yield buffer
    for handler, stream in zip(handlers, previous):
        handler.setStream(stream)


def everything_logged(caplog, json_log) -> str:
    records = "\n".join(f"{r.getMessage()} {r.exc_text or ''} {sorted(map(str, vars(r).values()))}"
                        for r in caplog.records)
    return caplog.text + records + json_log.getvalue()


@pytest.mark.django_db
def test_invitation_and_stream_tokens_never_reach_djangos_logs(site, make_reviewer, caplog, json_log):
    _, live = create_invitation(organisation=site.organisation, username="newcomer", role="reviewer", site=site)
    caplog.set_level(logging.INFO)
    anonymous = Client()
    assert anonymous.head(f"/accounts/invite/{live}/").status_code == 405        # Method Not Allowed (HEAD)
    assert anonymous.get(f"/accounts/invite/{live}/x/").status_code == 404       # Not Found (no route)
    altered = live[:-1] + ("Q" if live[-1] != "Q" else "R")  # a token that differs in its last character
    assert anonymous.get(f"/accounts/invite/{altered}/").status_code == 404   # Not Found (no such link)

    user, reviewer = make_reviewer(), Client()
    reviewer.force_login(user)
    task_id = "0b9c6d1e-0000-4000-8000-000000000000"
    elsewhere = streaming.make_token(task_id, user.id, "another-session")
    mine = streaming.make_token(task_id, user.id, reviewer.session.session_key)
    assert reviewer.get(f"/room/stream/{elsewhere}").status_code == 403          # Forbidden
    assert reviewer.get(f"/room/stream/{mine}").status_code == 404               # Not Found (no such task)
    assert reviewer.head(f"/room/stream/{mine}").status_code == 405
    # Logged out, the link redirects to the sign-in page with the token in ?next=.
    assert anonymous.get(f"/room/stream/{mine}").status_code == 302
    # A request line as runserver logs it, query string and all.
    logging.getLogger("django.server").info('"%s" %s %s', f"GET /accounts/login/?next=%2Froom%2Fstream%2F{mine} HTTP/1.1",
                                            "200", "512")

    logged = everything_logged(caplog, json_log)
    for token in (live, elsewhere, mine):
        assert token not in logged
    for fragment in (live[:12], mine.split(":")[0]):
        assert fragment not in logged
    # The lines are still there, with the token's place marked.
    assert "Method Not Allowed (HEAD): /accounts/invite/[redacted]/" in logged
    assert "Not Found: /accounts/invite/[redacted]/x/" in logged
    assert "Forbidden: /room/stream/[redacted]" in logged
    assert "next=%2Froom%2Fstream%2F[redacted]" in logged
    assert '"request": "<WSGIRequest: GET \'/room/stream/[redacted]\'>"' in json_log.getvalue()


def gunicorn_logger(tmp_path, extra_args=()):
    """gunicorn's logger exactly as `quietroom serve` configures it, writing to files."""
    from gunicorn.config import Config

    command = gunicorn_command("127.0.0.1", 8000, 1)
    cfg = Config()
    parsed = cfg.parser().parse_args([*command[4:], *extra_args, "--access-logfile", str(tmp_path / "access.log"),
                                      "--error-logfile", str(tmp_path / "error.log")])
    for name, value in vars(parsed).items():
        if value is not None and name in cfg.settings:
            cfg.set(name.lower(), value)
    assert cfg.logger_class is redaction.GunicornLogger
    return cfg.logger_class(cfg)


def access(log, path, query="", referer="-", status="404 Not Found"):
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": path + (f"?{query}" if query else ""), "PATH_INFO": path,
               "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "203.0.113.9",
               "HTTP_REFERER": referer}
    response = SimpleNamespace(status=status, sent=10, headers=[("Location", f"/accounts/login/?next={path}")])
    request = SimpleNamespace(headers=[("Referer", referer)])
    log.access(response, request, environ, timedelta(milliseconds=3))


@pytest.mark.parametrize("log_format", [None, '%(r)s %(s)s "%(f)s" %({location}o)s %({referer}i)s'],
                         ids=["serve's format", "an operator's fuller format"])
def test_gunicorn_access_and_error_logs_redact_tokens(tmp_path, log_format):
    log = gunicorn_logger(tmp_path, ["--access-logformat", log_format] if log_format else [])
    invite, stream = secrets.token_urlsafe(32), "eyJ0IjoiMSJ9:1uQ:" + secrets.token_urlsafe(20)
    access(log, f"/accounts/invite/{invite}/", referer=f"https://qr.example/room/stream/{stream}")
    access(log, f"/room/stream/{stream}", query=f"next=%2Faccounts%2Finvite%2F{invite}%2F", status="403 Forbidden")
    log.exception("Error handling request %s", f"/accounts/invite/{invite}/")
    log.warning(f"Invalid request from ip=203.0.113.9: Invalid HTTP request line: 'HEAD /room/stream/{stream} HTTP/9'")
    for handler in (*log.access_log.handlers, *log.error_log.handlers):
        handler.flush()
    written = (tmp_path / "access.log").read_text() + (tmp_path / "error.log").read_text()
    assert invite not in written and stream not in written and stream.split(":")[-1] not in written
    assert written.count("[redacted]") >= 4
    assert "/accounts/invite/[redacted]/" in written and "/room/stream/[redacted]" in written


def test_redaction_is_exact_and_idempotent():
    cases = {
        "Not Found: /accounts/invite/abc-DEF_123/": "Not Found: /accounts/invite/[redacted]/",
        "/room/stream/eyJ0Ijo:1u:sig?x=1": "/room/stream/[redacted]?x=1",
        "/ROOM//stream/tok#frag": "/ROOM//stream/[redacted]#frag",
        "next=%2Faccounts%2Finvite%2Ftok%3A1%2F": "next=%2Faccounts%2Finvite%2F[redacted]%2F",
        "route accounts/invite/<str:token>/": "route accounts/invite/<str:token>/",  # the JSON log's pattern
        "/room/task/6f1c/draft/ /accounts/login/": "/room/task/6f1c/draft/ /accounts/login/",
    }
    for raw, expected in cases.items():
        assert redaction.redact(raw) == expected
        assert redaction.redact(expected) == expected


def _routes(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _routes(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def test_every_route_with_a_free_text_segment_is_redacted():
    """A `<str:...>`/`<slug:...>`/`<path:...>` segment is a token until proven otherwise: a new one
    must be added to redaction.TOKEN_ROUTES (or to the known non-secrets below) to pass."""
    # The API's ids are UUIDs (typed so in api/endpoints.py), looked up within the caller's
    # organisation: identifiers, not bearer secrets.
    not_secret = {"api/v1/batches/<run_id>", "api/v1/exports/<export_id>", "api/v1/exports/<export_id>/download",
                  "api/v1/privacy/erasure/<erasure_id>"}
    free = [route for route in _routes(get_resolver().url_patterns)
            if re.search(r"<(str|slug|path):|<(?!int:|uuid:)[a-z_]+>", route) and route not in not_secret]
    assert free, "the scan sees the URLconf"
    for route in free:
        sample = "/" + re.sub(r"<[^>]+>", "SECRETVALUE", route)
        assert "SECRETVALUE" not in redaction.redact(sample), f"{route} is not redacted"
