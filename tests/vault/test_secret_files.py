"""Secrets created on first start appear whole, once, even when processes start together."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from quietroom import config
from quietroom.vault.secretfiles import create_secret_file
from quietroom.vault import KeyProviderError, create_key_file


def test_a_secret_file_is_created_whole_with_mode_0600_and_no_leftovers(tmp_path):
    assert create_secret_file(tmp_path / "s", b"one\n") is True
    assert (tmp_path / "s").read_bytes() == b"one\n" and (tmp_path / "s").stat().st_mode & 0o777 == 0o600
    assert create_secret_file(tmp_path / "s", b"two\n") is False
    assert (tmp_path / "s").read_bytes() == b"one\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s"]  # no temporary file left behind


def test_a_planted_symlink_is_not_followed_or_replaced(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_bytes(b"theirs")
    (tmp_path / "master.key").symlink_to(target)
    with pytest.raises(KeyProviderError, match="already exists"):
        create_key_file(tmp_path / "master.key")
    assert target.read_bytes() == b"theirs" and (tmp_path / "master.key").is_symlink()


def test_a_key_another_process_created_after_our_check_is_used_not_refused(tmp_path, monkeypatch):
    # The race, made certain: the file appears between "does it exist?" and "create it".
    monkeypatch.setenv("QUIETROOM_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("QUIETROOM_KEY_PROVIDER", raising=False)
    monkeypatch.delenv("QUIETROOM_SECRET_KEY", raising=False)
    (tmp_path / "secrets").mkdir(mode=0o700)
    create_key_file(tmp_path / "secrets" / "master.key")
    (tmp_path / "secrets" / "pseudonym-key").write_text("theirs\n")
    key_before = (tmp_path / "secrets" / "master.key").read_bytes()
    monkeypatch.setattr(Path, "exists", lambda self: False)
    assert config.master_key_url() == f"file://{tmp_path / 'secrets' / 'master.key'}"
    assert config.secret("QUIETROOM_TEST_UNSET_SECRET", demo_file="pseudonym-key") == "theirs"
    assert (tmp_path / "secrets" / "master.key").read_bytes() == key_before


def test_processes_starting_together_share_one_master_key_and_secret(tmp_path):
    script = (
        "import sys, time\n"
        "from quietroom import config\n"
        "time.sleep(max(0, float(sys.argv[1]) - time.time()))\n"
        "url = config.master_key_url()\n"
        "print(open(url[len('file://'):]).read().strip(), config.secret('QUIETROOM_TEST_UNSET_SECRET', demo_file='s'))\n"
    )
    env = {**os.environ, "QUIETROOM_DATA_DIR": str(tmp_path), "QUIETROOM_MODE": "demo"}
    env.pop("QUIETROOM_KEY_PROVIDER", None)
    import time

    start = str(time.time() + 3.0)
    procs = [subprocess.Popen([sys.executable, "-c", script, start], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(8)]
    results = [p.communicate(timeout=60) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _out, err in results if err]
    assert len({out for out, _err in results}) == 1


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_the_demo_database_and_its_journals_are_private_to_this_user(tmp_path):
    """Issue 15, finding 6: SQLite alone makes its file 0644 (readable by every local account);
    created first with 0600, the database and the WAL/shm files SQLite makes beside it are 0600."""
    import sqlite3

    database = tmp_path / "data" / "quietroom.sqlite3"
    config.private_sqlite_file(database)
    assert _mode(database) == 0o600 and _mode(database.parent) == 0o700
    connection = sqlite3.connect(database)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("CREATE TABLE t (x)")
        connection.execute("INSERT INTO t VALUES (1)")
        connection.commit()
        companions = sorted(p.name for p in database.parent.iterdir() if p != database)
        assert companions == ["quietroom.sqlite3-shm", "quietroom.sqlite3-wal"]
        assert {name: _mode(database.parent / name) for name in companions} == dict.fromkeys(companions, 0o600)
    finally:
        connection.close()
    config.private_sqlite_file(database)  # again: the database is kept, not recreated
    assert sqlite3.connect(database).execute("SELECT x FROM t").fetchall() == [(1,)]


def test_a_database_left_readable_by_an_older_version_is_tightened(tmp_path):
    database = tmp_path / "quietroom.sqlite3"
    journal = tmp_path / "quietroom.sqlite3-journal"
    for path in (database, journal):
        path.write_bytes(b"")
        path.chmod(0o644)
    config.private_sqlite_file(database)
    assert (_mode(database), _mode(journal)) == (0o600, 0o600)
