"""Audio URLs in manifests: allow-listed hosts only, never loopback, link-local or private
addresses, not even through DNS, and the connection goes to the address that was checked."""
from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from quietroom.audit.log import Actor
from quietroom.exports.imports import import_dataset
from quietroom.recordings.importers import ImportOptions, safe_http
from quietroom.recordings.importers.safe_http import UrlRefused, check_url, fetch
from quietroom.recordings.importers.sources import LocalSource
from quietroom.recordings.models import Recording

from tests.exports.interop_fixtures import label_studio_tasks

ALLOW = ["audio.example.org", "localhost", "127.0.0.1", "169.254.169.254", "internal.example.org"]


def fake_dns(monkeypatch, answers: dict[str, list[str]]):
    """Answer getaddrinfo from a table (a name an attacker controls can point anywhere)."""
    real = socket.getaddrinfo
    calls = []

    def getaddrinfo(host, port, *args, **kwargs):
        calls.append(host)
        if host in answers:
            family = lambda a: socket.AF_INET6 if ":" in a else socket.AF_INET  # noqa: E731
            return [(family(a), socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


@pytest.mark.parametrize("url, reason", [
    ("http://127.0.0.1/a.wav", "loopback, link-local or private"),
    ("http://169.254.169.254/latest/meta-data/", "loopback, link-local or private"),
    ("http://[::1]/a.wav", "loopback, link-local or private"),
    ("http://10.1.2.3/a.wav", "loopback, link-local or private"),
    ("http://localhost/a.wav", "resolves to a loopback, link-local or private address"),
    ("http://elsewhere.example.com/a.wav", "not on the source URL allow-list"),
    ("file:///etc/passwd", "scheme 'file' is not allowed"),
    ("ftp://audio.example.org/a.wav", "scheme 'ftp' is not allowed"),
    ("http://user:pw@audio.example.org/a.wav", "credentials"),
])
def test_forbidden_urls_are_refused_with_the_reason(url, reason):
    with pytest.raises(UrlRefused, match=reason):
        check_url(url, ALLOW)


def test_a_hostname_resolving_to_a_private_address_is_refused(monkeypatch):
    fake_dns(monkeypatch, {"internal.example.org": ["93.184.216.34", "192.168.1.20"]})
    with pytest.raises(UrlRefused, match=r"resolves to .*private address \(192\.168\.1\.20\)"):
        check_url("https://internal.example.org/a.wav", ALLOW)


def test_ipv4_mapped_ipv6_loopback_is_refused(monkeypatch):
    fake_dns(monkeypatch, {"audio.example.org": ["::ffff:127.0.0.1"]})
    with pytest.raises(UrlRefused, match="private address"):
        check_url("https://audio.example.org/a.wav", ALLOW)


def test_a_public_allow_listed_host_passes_the_check(monkeypatch):
    fake_dns(monkeypatch, {"audio.example.org": ["93.184.216.34"]})
    checked = check_url("https://audio.example.org:8443/clips/a.wav?v=1", ["*.example.org"])
    assert (checked.host, checked.port, checked.address, checked.target) == (
        "audio.example.org", 8443, "93.184.216.34", "/clips/a.wav?v=1")


def test_the_connection_goes_to_the_checked_address_not_a_second_dns_answer(monkeypatch):
    """DNS rebinding: the first answer is checked, a later one would point elsewhere. The fetch
    must connect to the checked address and send the name only as Host."""
    seen = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen["host"] = self.headers.get("Host")
            seen["path"] = self.path
            body = b"RIFF-not-really-audio"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        answers = iter([["127.0.0.1"], ["10.9.9.9"]])  # second resolution would rebind
        calls = []

        def getaddrinfo(host, port, *args, **kwargs):
            if host.replace(".", "").isdigit():  # an address literal resolves to itself
                return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (host, port))]
            calls.append(host)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in next(answers)]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        # Only for this test: let the checked loopback address through, so a local server can
        # stand in for a public one. Everything else about the fetch is the real code path.
        monkeypatch.setattr(safe_http, "address_is_forbidden", lambda ip: str(ip) == "10.9.9.9")
        port = server.server_address[1]
        body = fetch(f"http://audio.example.org:{port}/clip.wav", allowlist=["audio.example.org"], max_bytes=1000)
        assert body == b"RIFF-not-really-audio"
        assert seen == {"host": f"audio.example.org:{port}", "path": "/clip.wav"}
        assert calls == ["audio.example.org"]  # resolved once, never again at connect time
        with pytest.raises(UrlRefused, match="larger than"):
            answers = iter([["127.0.0.1"]])
            fetch(f"http://audio.example.org:{port}/clip.wav", allowlist=["audio.example.org"], max_bytes=5)
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.django_db
def test_ssrf_attempts_in_a_manifest_are_refused_per_row_with_a_clear_error(controller, tmp_path, monkeypatch, settings):
    from quietroom import testspeech

    settings.QUIETROOM_SOURCE_URL_ALLOWLIST = ["internal.example.org", "127.0.0.1"]
    fake_dns(monkeypatch, {"internal.example.org": ["10.0.0.7"]})
    speech = [testspeech.make_conversation(1, seed=5)] * 4
    tasks = label_studio_tasks(tmp_path, speech, audio_refs=[
        "http://127.0.0.1:8080/a.wav", "http://169.254.169.254/latest/meta-data/iam",
        "https://internal.example.org/a.wav", "https://not-allowed.example.net/a.wav",
    ])
    run = import_dataset("labelstudio", tasks.name, tasks.read_bytes(), LocalSource(tmp_path), controller,
                         ImportOptions(consent_basis="contract", locale="en-US", region="GB"),
                         actor=Actor(name="test"))
    reasons = [row["reason"] for row in run.rows]
    assert run.accepted == 0 and Recording.objects.count() == 0
    assert all(r.startswith("audio_path") for r in reasons)
    assert "loopback, link-local or private" in reasons[0]
    assert "169.254.169.254 is a loopback, link-local or private address" in reasons[1]
    assert "resolves to a loopback, link-local or private address (10.0.0.7)" in reasons[2]
    assert "not on the source URL allow-list" in reasons[3]
