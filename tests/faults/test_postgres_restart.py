"""PostgreSQL stops and restarts while reviewers submit: no submission lost or doubled.

A private PostgreSQL cluster (initdb in a temporary folder, a loopback port) serves a real
gunicorn; reviewer threads retry a failed submit with the same idempotency key, as the
browser does. Afterwards the database must hold exactly the submissions the clients saw
confirmed, one per task.
"""
from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import psycopg
import pyotp
import pytest

from tests.faults.conftest import free_port, wait_for_port

pytestmark = pytest.mark.infrastructure

PG_BIN = sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1] if glob.glob("/usr/lib/postgresql/*/bin") else None


class PrivatePostgres:
    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="quietroom-pg-", dir="/tmp")
        shutil.chown(self.dir, "postgres", "postgres")
        self._as_postgres([f"{PG_BIN}/initdb", "-D", self.dir + "/data", "-A", "trust", "-U", "postgres", "--no-sync"])

    def _as_postgres(self, command, **kwargs):
        return subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True,
                              capture_output=True, text=True, timeout=120, **kwargs)

    def start(self):
        self._as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.dir + "/data", "-w", "-l", self.dir + "/log",
                           "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off", "start"])
        wait_for_port(self.port)

    def stop(self, mode="fast"):
        self._as_postgres([f"{PG_BIN}/pg_ctl", "-D", self.dir + "/data", "-w", "-m", mode, "stop"])

    def url(self, db="postgres"):
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def destroy(self):
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def private_postgres():
    if PG_BIN is None or shutil.which("runuser") is None:
        pytest.fail("PostgreSQL server binaries (/usr/lib/postgresql/*/bin) are needed for this fault test")
    pg = PrivatePostgres()
    pg.start()
    with psycopg.connect(pg.url(), autocommit=True) as conn:
        conn.execute("CREATE DATABASE quietroom")
    yield pg
    pg.destroy()


class ReviewerClient(threading.Thread):
    """A reviewer's browser that, like room.js, retries a failed step with the same form.

    A step is retried when the connection fails, the server answers 5xx, or the page it got has
    no form to go on with (a sign-in page served while the database was down). A submission
    counts as confirmed only on the server's own answer to the submit POST (its redirect, or
    the room page when the queue is empty), never on the page the redirect leads to.
    """

    def __init__(self, base, username, secret, password, stop_at):
        super().__init__(daemon=True)
        from quietroom.ops.smoke import Browser

        self.browser = Browser(base)
        self.username, self.secret, self.password, self.stop_at = username, secret, password, stop_at
        self.confirmed: dict[str, str] = {}  # task id -> idempotency key, per server confirmation
        self.refused: list[str] = []  # submit answers in the 4xx range: a bug, reported by the test
        self.retries = 0
        self.last_step = 0  # the newest TOTP step this reviewer has sent
        self.failure = ""

    def retrying(self, call, attempts=60):
        from quietroom.ops.smoke import SmokeFailure

        seen = []  # what each failed attempt got, for the failure message
        for _ in range(attempts):
            try:
                response = call()
                if response.status < 500:
                    return response
                seen.append(f"{response.status} {response.url}")
            except (OSError, SmokeFailure) as problem:
                seen.append(f"{type(problem).__name__}: {problem}")
            self.retries += 1
            time.sleep(0.25)
        raise RuntimeError(f"gave up after repeated server errors, last: {seen[-3:]}")

    def fresh_code(self) -> str:
        """A TOTP code of a step not used yet: the server accepts each step once, within one
        step of now, so a retry takes the next step's code instead of waiting for the clock."""
        now_step = int(time.time() // 30)
        step = max(now_step, self.last_step + 1)
        if step > now_step + 1:  # three attempts within one step: only then is there a wait
            time.sleep((step - 1) * 30 - time.time() + 0.1)
        self.last_step = step
        return pyotp.TOTP(self.secret).at(step * 30)

    def sign_in(self):
        def attempt():
            page = self.browser.get("/room/")  # signed out: redirected to the sign-in page
            if page.status >= 500 or "/accounts/login" not in page.url:
                return page  # a server error to retry, or signed in already (an earlier try got through)
            page = self.browser.post_form(page, {"username": self.username, "password": self.password})
            if page.status >= 500:
                return page
            done = self.browser.post_form(page, {"code": self.fresh_code()})
            if done.status < 500 and "/accounts/login" in done.url:
                # A half-finished sign-in (one step met a restarting database): start again
                # with a code of a later step, so it is not refused as a replay.
                raise OSError("sign-in did not complete")
            return done

        self.retrying(attempt, attempts=60)

    def run(self):
        try:
            self.sign_in()
            while time.time() < self.stop_at:
                room = self.retrying(lambda: self.browser.get("/room/"))
                task = self.retrying(lambda: self.browser.post_form(room, {}, action="/room/next/"))
                match = re.search(r"/room/task/([0-9a-f-]+)/", task.url)
                if not match:
                    break  # queue empty
                key = re.search(r'name="idempotency_key" value="([^"]+)"', task.text).group(1)
                form = {"transcript": f"words from {self.username}", "idempotency_key": key}
                csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', task.text).group(1)
                answer = self.retrying(lambda: self.browser.request(
                    "POST", task.url, {"csrfmiddlewaretoken": csrf, **form}, follow=False))
                if answer.status < 400:
                    self.confirmed[match.group(1)] = key
                else:
                    self.refused.append(f"{answer.status} {answer.text[:200]}")
                time.sleep(0.4)  # a reviewer's few seconds of work, shortened: the queue must outlast the restart
        except Exception as exc:  # reported by the test, never swallowed
            self.failure = f"{type(exc).__name__}: {exc}"


def test_postgres_restart_while_reviewers_submit_loses_and_doubles_nothing(private_postgres, tmp_path):
    from quietroom.ops import serving

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update({"QUIETROOM_MODE": "demo", "QUIETROOM_DATA_DIR": str(tmp_path / "data"),
                "DATABASE_URL": private_postgres.url("quietroom"), "DJANGO_SETTINGS_MODULE": "quietroom.settings"})
    setup = subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "pg_restart_setup.py"), "4", "120"],
                           env=env, capture_output=True, text=True, timeout=300)
    assert setup.returncode == 0, setup.stderr[-3000:]
    facts = json.loads(setup.stdout.strip().splitlines()[-1])
    assert facts["tasks"] >= 30, "too few snippets for the restart to land among submits"

    port = free_port()
    server = subprocess.Popen(serving.gunicorn_command("127.0.0.1", port, workers=2), env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, 60)
        stop_at = time.time() + 25
        clients = [ReviewerClient(f"http://127.0.0.1:{port}", r["username"], r["secret"], facts["password"], stop_at)
                   for r in facts["reviewers"]]
        for client in clients:
            client.start()
        # Stop the database once work is flowing (every reviewer signed in and one submission
        # of each confirmed), so that the restart lands among submits, not among sign-ins.
        deadline = time.time() + 60
        while time.time() < deadline and not all(c.confirmed or c.failure for c in clients):
            time.sleep(0.05)
        private_postgres.stop("fast")  # connections drop mid-request
        time.sleep(2)
        private_postgres.start()
        # Work goes on after the restart: once every reviewer has had one more submission
        # confirmed (on the restarted database), all stop, instead of running out the clock.
        before = [len(c.confirmed) for c in clients]
        while time.time() < stop_at and not all(len(c.confirmed) > n or c.failure or not c.is_alive()
                                                for c, n in zip(clients, before)):
            time.sleep(0.05)
        for client in clients:
            client.stop_at = 0  # read before each task: the one in hand is finished first
        for client in clients:
            client.join(timeout=120)
    finally:
        server.terminate()
        server.wait(timeout=30)

    assert [c.failure for c in clients] == ["", "", "", ""]
    assert [c.refused for c in clients] == [[], [], [], []]
    assert sum(c.retries for c in clients) > 0, "the restart did not hit any request; nothing was tested"
    confirmed = {task: key for c in clients for task, key in c.confirmed.items()}
    assert len(confirmed) >= 4
    with psycopg.connect(private_postgres.url("quietroom")) as conn:
        rows = conn.execute("SELECT task_id::text, idempotency_key FROM review_submission").fetchall()
    stored = {}
    for task_id, key in rows:
        stored.setdefault(task_id.replace("-", ""), []).append(key)
    assert all(len(keys) == 1 for keys in stored.values()), "a task was submitted twice"
    assert {t.replace("-", ""): k for t, k in confirmed.items()} == {t: keys[0] for t, keys in stored.items()}
