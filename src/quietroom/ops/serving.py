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


THREADS = 2
WORKER_CLASS = "quietroom.ops.worker.WarmFirstThreadWorker"


def shape_args(workers: int | None = None) -> list[str]:
    """gunicorn's processes, threads and connection handling, as QuietRoom is served (the review
    bench runs Label Studio in the same shape).

    Every worker must take its share. gunicorn's threaded worker accepts a connection whenever
    it holds fewer than `--worker-connections` (default 1000) and keeps it for the next request
    (`--keep-alive`): a few busy kept-alive clients all landed on the one worker that woke first
    and stayed there, two of three processes idle (bench/review_http.py, issue 20). So a worker
    holds few connections, and a connection carries one request (`--keep-alive 0`): the next
    request goes back to the shared queue and to whichever worker is free.

    `--worker-connections` is threads + 1, not threads: a worker counts a connection until its
    thread has finished with it (access log, closing) and its main loop has noticed, which is
    after the client has its answer. A reviewer's next request often comes in that moment; at
    threads alone the worker would stop listening just then and, listening again, queue up
    behind the others (`ops/worker.py`), so each next request went to a process whose memory
    was cold. A new connection on the local network costs
    far less than a worker standing idle; browsers keep theirs to the load balancer (which
    buffers requests, so a slow client does not hold a worker's slot), not to gunicorn.
    """
    return ["--workers", str(workers or worker_count()), "--threads", str(THREADS),
            "--worker-connections", str(THREADS + 1), "--keep-alive", "0",
            "--timeout", "60", "--graceful-timeout", "10"]


def gunicorn_command(host: str, port: int, workers: int | None = None) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "quietroom.wsgi:application",
        "--bind", f"{host}:{port}", *shape_args(workers),
        # gthread, with a new connection going to the first idle worker (ops/worker.py)
        "--worker-class", WORKER_CLASS,
        # No request bodies or query strings in the access log: they can carry tokens. Token
        # path segments are redacted from the access and error logs by the logger class.
        "--access-logformat", '%(h)s "%(m)s %(U)s" %(s)s %(b)s %(M)sms',
        "--logger-class", "quietroom.ops.redaction.GunicornLogger",
    ]


def start(host: str, port: int, workers: int | None = None, *, quiet: bool = False) -> subprocess.Popen:
    stream = subprocess.DEVNULL if quiet else None
    return subprocess.Popen(gunicorn_command(host, port, workers), env=os.environ.copy(), stdout=stream, stderr=stream)
