"""Shared set-up for the benchmarks: a throwaway PostgreSQL database and data folder, a
private Redis, and Django configured against them. Traffic stays on 127.0.0.1."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None, seconds: float = 60) -> None:
    """Until something accepts connections on 127.0.0.1:port (a server that exits first fails)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SystemExit(f"server exited with status {proc.returncode} before listening on {port}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"nothing listening on 127.0.0.1:{port} after {seconds:.0f} s")


@contextmanager
def bench_environment(tag: str):
    """Configure Django on a fresh database + data folder; drop both afterwards."""
    name = f"quietroom_bench_{tag}_{os.getpid()}"
    data_dir = tempfile.mkdtemp(prefix=f"quietroom-bench-{tag}-")
    with psycopg.connect(PG + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    os.environ.update({
        "QUIETROOM_MODE": "demo", "QUIETROOM_DATA_DIR": data_dir,
        "DATABASE_URL": f"{PG}/{name}", "DJANGO_SETTINGS_MODULE": "quietroom.settings",
    })
    os.environ.pop("REDIS_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    try:
        yield Path(data_dir)
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(PG + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(data_dir, ignore_errors=True)


@contextmanager
def private_redis():
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="quietroom-bench-redis-")
    proc = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(port), "--save", "",
                             "--appendonly", "no", "--dir", workdir],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def use_broker(redis_url: str) -> None:
    """Point this process's Celery app at a broker (jobs are then published, not run here)."""
    from quietroom.celery import app

    app.conf.update(broker_url=redis_url, task_always_eager=False)
    os.environ["REDIS_URL"] = redis_url


def start_worker(redis_url: str, concurrency: int = 1) -> subprocess.Popen:
    env = dict(os.environ, REDIS_URL=redis_url)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "quietroom.celery", "worker", "--concurrency", str(concurrency),
         "--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )


def stop(proc: subprocess.Popen) -> None:
    import signal

    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
