"""Throwaway service instances for fault tests: our own Redis and PostgreSQL on loopback ports.

Fault tests stop and kill these, never the machine's shared services, so they can run beside
anything else. Every wait is bounded.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


class RedisInstance:
    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


@pytest.fixture
def redis_instance(tmp_path):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed")
    instance = RedisInstance(tmp_path)
    instance.start()
    yield instance
    instance.stop()


def test_database_url() -> str:
    """A URL for the database this test runs against (the test database), for subprocesses."""
    db = settings.DATABASES["default"]
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def subprocess_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({
        "QUIETROOM_MODE": "test",
        "QUIETROOM_DATA_DIR": str(settings.DATA_DIR),
        "DATABASE_URL": test_database_url(),
        "DJANGO_SETTINGS_MODULE": "quietroom.settings",
    })
    env.update(extra)
    return env


class Worker:
    """A `quietroom worker` process (Celery, solo pool) against the given broker."""

    def __init__(self, redis_url: str, log: Path, **env):
        self.log = log
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "quietroom.celery", "worker", "--pool", "solo",
             "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            env=subprocess_env(REDIS_URL=redis_url, QUIETROOM_VISIBILITY_TIMEOUT="4", **env),
            stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )

    def kill9(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


@pytest.fixture
def workers(tmp_path):
    started: list[Worker] = []

    def start(redis_url: str) -> Worker:
        worker = Worker(redis_url, tmp_path / f"worker{len(started)}.log")
        started.append(worker)
        return worker

    yield start
    # The test has drawn its conclusions: SIGKILL, as the killed-worker test does, instead of a
    # warm shutdown (about 2 s per idle worker; its broker and data are thrown away anyway).
    for worker in started:
        if worker.proc.poll() is None:
            worker.kill9()
