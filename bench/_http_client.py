"""A browser-like HTTP client for the benches: one keep-alive connection, cookies, and the
time of every request kept per step. Traffic goes to 127.0.0.1 only."""
from __future__ import annotations

import http.client
import time
from collections import Counter, defaultdict


class Client:
    """One person's browser tab: a kept-alive connection (re-opened when the server closes it,
    as browsers do), the cookies it was given, and per-step timings in milliseconds."""

    def __init__(self, port: int, cookies: dict | None = None):
        self.port = port
        self.cookies = dict(cookies or {})
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.reset()

    def reset(self) -> None:
        """Forget timings and errors (after a warm-up)."""
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.pairs: list[float] = []
        self.errors: Counter = Counter()
        self.requests = 0
        self.retries = 0  # requests sent again because the server had closed the idle connection

    def call(self, method: str, path: str, body: bytes | str | None = None, headers: dict | None = None,
             step: str | None = None) -> tuple[int, str | None, bytes]:
        """(status, Location, body); timed under `step` when given. Cookies are sent and kept;
        a POST carries Django's CSRF header when the site set the cookie."""
        sent = {"Host": f"127.0.0.1:{self.port}", "Referer": f"http://127.0.0.1:{self.port}{path}"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST" and "csrftoken" in self.cookies:
            sent["X-CSRFToken"] = self.cookies["csrftoken"]
        sent.update(headers or {})
        started = time.perf_counter()
        for attempt in (1, 2):
            reused = self.conn.sock is not None
            try:
                self.conn.request(method, path, body=body, headers=sent)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                # The server closed the kept-alive connection (its keep-alive timeout) as the
                # request went out, before answering: browsers send it again on a new
                # connection, once. Counted, not an error.
                self.conn.close()
                if reused and attempt == 1:
                    self.retries += 1
                    continue
                self.errors[f"{step or path}: {type(exc).__name__}"] += 1
                return 0, None, b""
            except (OSError, http.client.HTTPException) as exc:
                self.conn.close()
                self.errors[f"{step or path}: {type(exc).__name__}"] += 1
                return 0, None, b""
        elapsed = (time.perf_counter() - started) * 1000
        self.requests += 1
        if step:
            self.timings[step].append(elapsed)
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        if response.status >= 400:
            self.errors[f"{step or path}: {response.status}"] += 1
        return response.status, response.getheader("Location"), data

    def last(self, step: str) -> float:
        return self.timings[step][-1] if self.timings[step] else 0.0

    def close(self) -> None:
        self.conn.close()


def percentile(values, p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]
