"""The self-check behind `quietroom demo --smoke`: a reviewer's whole day over real HTTP.

Accept the invitation, choose a password, enrol TOTP, get a snippet, stream it (with a range
request), submit a transcript, sign out, sign back in with password and TOTP, and check the
export. Every step must work; the first failure stops the run with its name.
"""
from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

import pyotp

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SMOKE_PASSWORD = "correct horse battery staple violin"


class SmokeFailure(Exception):
    pass


@dataclass
class Response:
    status: int
    url: str
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Browser:
    """A tiny HTTP client with cookies that follows redirects like a browser would."""

    base: str
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def __post_init__(self):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None, follow=True) -> Response:
        url = urllib.parse.urljoin(self.base, path)
        for _ in range(10):
            body = urllib.parse.urlencode(data).encode() if data is not None else None
            req = urllib.request.Request(url, data=body, method=method, headers={"Referer": url, **(headers or {})})
            try:
                with self.opener.open(req, timeout=60) as resp:
                    return Response(resp.status, url, dict(resp.headers), resp.read())
            except urllib.error.HTTPError as err:
                if follow and err.code in (301, 302, 303, 307, 308):
                    url = urllib.parse.urljoin(url, err.headers["Location"])
                    method, data = "GET", None
                    continue
                return Response(err.code, url, dict(err.headers), err.read())
        raise SmokeFailure(f"too many redirects at {path}")

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post_form(self, page: Response, data: dict, action: str | None = None) -> Response:
        match = CSRF_RE.search(page.text)
        if not match:
            raise SmokeFailure(f"no CSRF token on {page.url}")
        return self.request("POST", action or page.url, {"csrfmiddlewaretoken": match.group(1), **data})


ALERT_RE = re.compile(r'role="alert">(.*?)</', re.S)


def _alert(page: Response) -> str:
    """The page's error message, if it shows one (for a useful failure report)."""
    match = ALERT_RE.search(page.text)
    return re.sub(r"<[^>]+>|\s+", " ", match.group(1)).strip()[:200] if match else ""


def _expect(condition: bool, step: str, detail: str = "") -> None:
    if not condition:
        raise SmokeFailure(f"{step} failed" + (f": {detail}" if detail else ""))


def run(base_url: str, invitation_path: str, username: str, log=print) -> dict:
    """Play one reviewer through the HTTP interface. Returns facts for the caller to check."""
    b = Browser(base_url)
    page = b.get(invitation_path)
    _expect(page.status == 200 and "Choose your own password" in page.text, "open invitation", f"HTTP {page.status}")
    log("ok   invitation opened")
    page = b.post_form(page, {"password": SMOKE_PASSWORD, "confirm": SMOKE_PASSWORD})
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text)
    _expect(page.status == 200 and secret is not None, "choose password", f"HTTP {page.status} {_alert(page)}")
    log("ok   password chosen, authenticator key shown")
    totp = pyotp.TOTP(secret.group(1))
    page = b.post_form(page, {"code": totp.now()})
    _expect(page.status == 200 and "Review room" in page.text, "enrol TOTP", f"HTTP {page.status} at {page.url}")
    log("ok   TOTP enrolled, signed in")
    again = b.get(invitation_path)
    _expect(again.status == 404, "invitation single use", f"HTTP {again.status}")
    log("ok   invitation link refused on second use")

    page = b.post_form(page, {}, action="/room/next/")
    _expect(page.status == 200 and "/room/stream/" in page.text, "next snippet", f"HTTP {page.status}")
    log("ok   snippet assigned")
    stream_path = re.search(r'src="(/room/stream/[^"]+)"', page.text).group(1)
    audio = b.get(stream_path, headers={"Range": "bytes=0-"})
    _expect(audio.status == 206 and audio.body[:4] == b"RIFF", "stream snippet", f"HTTP {audio.status}")
    _expect("no-store" in audio.headers.get("Cache-Control", ""), "stream is not cacheable")
    log(f"ok   snippet streamed ({len(audio.body)} bytes, range request, no-store)")
    transcript = f"smoke check transcript {int(time.time())}"
    key = re.search(r'name="idempotency_key" value="([0-9a-f]+)"', page.text).group(1)
    done = b.post_form(page, {"transcript": transcript, "idempotency_key": key})
    _expect(done.status == 200 and "Saved" in done.text, "submit transcript", f"HTTP {done.status}")
    log("ok   transcript submitted")

    out = b.post_form(done, {}, action="/accounts/logout/")
    _expect(out.status == 200 and "Sign in" in out.text, "sign out")
    page = b.post_form(out, {"username": username, "password": SMOKE_PASSWORD})
    _expect(page.status == 200 and "Authenticator code" in page.text, "password sign-in", f"HTTP {page.status}")
    # The enrolment consumed the current code; a code is accepted once, so use the next one
    # (the server accepts one step of clock drift either way).
    page = b.post_form(page, {"code": totp.at(time.time() + 30)})
    _expect(page.status == 200 and "Review room" in page.text, "TOTP sign-in", f"HTTP {page.status}")
    log("ok   signed out and back in with password + TOTP")
    return {"transcript": transcript}
