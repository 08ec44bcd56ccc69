"""`quietroom demo --smoke` is the installed self-check: it must pass on both databases.

A system test (whole processes): it runs once, in the PostgreSQL pass, and covers the embedded
SQLite default and PostgreSQL itself, each in a database of its own.
"""
import os
import subprocess
import sys
import uuid

import psycopg
import pytest

pytestmark = pytest.mark.system  # whole processes: runs once, on PostgreSQL


# The PostgreSQL server the suite uses (README: 127.0.0.1:5432, trust auth, user postgres).
PG_SERVER = dict(host="127.0.0.1", port=5432, user="postgres")


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_demo_smoke_passes_on_the_embedded_default_and_on_postgresql(tmp_path, engine):
    env = {k: v for k, v in os.environ.items() if k not in ("QUIETROOM_DATA_DIR", "DATABASE_URL")}
    env["QUIETROOM_MODE"] = "demo"
    created = None
    if engine == "postgresql":
        created = f"quietroom_smoke_{uuid.uuid4().hex[:8]}"
        params = dict(**PG_SERVER, dbname="postgres", autocommit=True)
        with psycopg.connect(**params) as conn:
            conn.execute(f'CREATE DATABASE "{created}"')
        env["DATABASE_URL"] = f"postgres://{PG_SERVER['user']}@{PG_SERVER['host']}:{PG_SERVER['port']}/{created}"
    try:
        result = subprocess.run(
            [sys.executable, "-m", "quietroom.cli", "--data-dir", str(tmp_path / "data"), "demo", "--smoke"],
            env=env, capture_output=True, text=True, timeout=300,
        )
    finally:
        if created:
            with psycopg.connect(**params) as conn:
                conn.execute(f'DROP DATABASE "{created}" WITH (FORCE)')
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "smoke check passed" in result.stdout
    for step in ("TOTP enrolled", "snippet streamed", "transcript submitted", "export holds the transcript"):
        assert step in result.stdout
    if not created:
        assert (tmp_path / "data" / "quietroom.sqlite3").exists()


def test_smoke_fails_loudly_when_a_step_breaks(tmp_path):
    """The self-check is not a rubber stamp: with no speech to ingest it must exit non-zero."""
    env = {k: v for k, v in os.environ.items() if k not in ("QUIETROOM_DATA_DIR", "DATABASE_URL")}
    env["QUIETROOM_MODE"] = "demo"
    code = (
        "import sys; from quietroom import testspeech;"
        "testspeech.make_conversation = lambda *a, **k: (_ for _ in ()).throw(RuntimeError('no speech'));"
        "from quietroom.cli import main; sys.argv=['quietroom','--data-dir',%r,'demo','--smoke']; main()"
    ) % str(tmp_path / "data")
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0 and "smoke check passed" not in result.stdout
