"""Every gunicorn worker serves: a few busy clients on kept-alive connections are not all
served by the one worker that accepted them first (issue 20: two of three workers sat idle).
And one client's requests, one after another, stay with one warm worker instead of going round
all of them (`quietroom.ops.worker`)."""
from __future__ import annotations

import gc
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

import quietroom
from quietroom.ops import serving

pytestmark = pytest.mark.system

CLIENTS = 4
REQUESTS_EACH = 100


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        assert proc.poll() is None, "gunicorn exited before listening"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"nothing listening on {port}")


def browser_like_client(port: int, failures: list, pause: float = 0.0) -> None:
    """One client on one HTTP/1.1 connection it keeps as long as the server lets it, `pause`
    seconds between an answer and its next request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        for _ in range(REQUESTS_EACH):
            conn.request("GET", "/healthz")
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                failures.append(response.status)
            time.sleep(pause)
    except Exception as exc:  # reported by the test
        failures.append(repr(exc))
    finally:
        conn.close()


def served_by_worker(tmp_path, clients: int, workers: int = 2, pause: float = 0.0) -> Counter:
    """Requests per gunicorn worker (process id) when `clients` browser-like clients each send
    REQUESTS_EACH requests at once, to QuietRoom served as production serves it."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"QUIETROOM_MODE": "demo", "QUIETROOM_DATA_DIR": str(tmp_path / "data"),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "DJANGO_SETTINGS_MODULE": "quietroom.settings"})
    port, access_log = free_port(), tmp_path / "access.log"
    command = serving.gunicorn_command("127.0.0.1", port, workers=workers) + [
        "--access-logfile", str(access_log), "--access-logformat", "%(p)s %(s)s"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, server)
        failures: list = []
        threads = [threading.Thread(target=browser_like_client, args=(port, failures, pause)) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
        time.sleep(0.3)  # the access log line is written after the response
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert failures == []
    return Counter(line.split()[0] for line in access_log.read_text().splitlines() if line.strip())


def test_two_workers_share_concurrent_keep_alive_clients(tmp_path):
    served = served_by_worker(tmp_path, CLIENTS)
    assert sum(served.values()) == CLIENTS * REQUESTS_EACH
    assert len(served) == 2, f"one worker served everything: {dict(served)}"
    assert min(served.values()) >= 0.2 * CLIENTS * REQUESTS_EACH, f"a worker barely served: {dict(served)}"


def test_one_client_stays_with_one_warm_worker(tmp_path):
    # Stock gunicorn handed these round the workers (about half each here, a third each with
    # three): every request met a process whose memory the others had pushed out of the CPU's
    # caches, 1-2 ms more per request on the review bench. A short pause, as between a
    # person's clicks, lets the worker finish with the last connection: then every request
    # goes to the same worker, where stock gunicorn's workers race for it.
    served = served_by_worker(tmp_path, clients=1, workers=2, pause=0.01)
    assert sum(served.values()) == REQUESTS_EACH
    assert max(served.values()) >= 0.8 * REQUESTS_EACH, f"one client's requests went round the workers: {dict(served)}"


def test_a_worker_freezes_the_loaded_application_out_of_the_garbage_collector():
    from quietroom.ops import worker

    threshold = gc.get_threshold()
    try:
        worker._settle_garbage_collector()
        assert gc.get_freeze_count() > 10_000  # the modules, Django and numpy loaded for this test run
        assert gc.get_threshold()[0] >= 10_000
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)


def test_a_worker_warms_the_watermark_embedder_after_loading_and_before_freezing(monkeypatch):
    from gunicorn.workers.gthread import ThreadWorker

    from quietroom.ops import worker

    calls = []
    monkeypatch.setattr(ThreadWorker, "load_wsgi", lambda self: calls.append("application"))
    monkeypatch.setattr(worker, "_warm_watermark_embedder", lambda: calls.append("watermark"))
    monkeypatch.setattr(worker, "_settle_garbage_collector", lambda: calls.append("garbage collector"))
    worker.WarmFirstThreadWorker.load_wsgi(object.__new__(worker.WarmFirstThreadWorker))
    assert calls == ["application", "watermark", "garbage collector"]


WARM_UP_SCRIPT = """
import json, numba, numpy as np
from quietroom.ops import worker
from quietroom.watermark import embedding, keys
kernels = {name: k for name, k in vars(embedding).items() if isinstance(k, numba.core.dispatcher.Dispatcher)}
counts = lambda: {name: len(k.signatures) for name, k in kernels.items()}
before = counts()
worker._warm_watermark_embedder()
warm = counts()
play = np.random.default_rng(0).normal(0, 0.1, 3 * 16000).astype(np.float32)  # 3 s, as a snippet
embedding.embed_pcm16((play * 32767).astype(np.int16), keys.WatermarkKey(b"k" * 32), 1234)  # a play
embedding.embed(play, keys.WatermarkKey(b"k" * 32), 1234)  # float samples (another rate, the benches)
print(json.dumps([before, warm, counts()]))
"""


def test_the_warm_up_compiles_every_kernel_a_play_uses():
    """In a fresh process nothing is compiled; after the warm-up every kernel of the format
    written is, and a reviewer's play compiles nothing more."""
    env = dict(os.environ, PYTHONPATH=str(Path(quietroom.__file__).parent.parent))
    result = subprocess.run([sys.executable, "-c", WARM_UP_SCRIPT], env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    before, warm, after_play = json.loads(result.stdout)
    # The two entry points; the kernels they call are compiled into them (numba types a kernel
    # called from another as part of its caller, not through its own dispatcher).
    played = {"_marked_pcm16", "_marked"}
    assert played <= set(before) and all(count == 0 for count in before.values())
    assert all(warm[name] == 1 for name in played)
    assert after_play == warm
