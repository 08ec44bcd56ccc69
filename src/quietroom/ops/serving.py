"""Running the web app under gunicorn."""
from __future__ import annotations

import os
import subprocess
import sys


def worker_count() -> int:
    # One process per core plus one, two threads each (the threads cover database waits). The
    # usual 2 x cores + 1 measured worse here: on 2 cores, 3 processes served the review room's
    # task page + submit at a median ~150 req/s against ~113 for 5 (bench/review_queue.py).
    return min((os.cpu_count() or 1) + 1, 9)


def gunicorn_command(host: str, port: int, workers: int | None = None) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "quietroom.wsgi:application",
        "--bind", f"{host}:{port}", "--workers", str(workers or worker_count()),
        "--threads", "2", "--timeout", "60", "--graceful-timeout", "10",
        # No request bodies or query strings in the access log: they can carry tokens. Token
        # path segments are redacted from the access and error logs by the logger class.
        "--access-logformat", '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        "--logger-class", "quietroom.ops.redaction.GunicornLogger",
    ]


def start(host: str, port: int, workers: int | None = None, *, quiet: bool = False) -> subprocess.Popen:
    stream = subprocess.DEVNULL if quiet else None
    return subprocess.Popen(gunicorn_command(host, port, workers), env=os.environ.copy(), stdout=stream, stderr=stream)
