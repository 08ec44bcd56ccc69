"""Label Studio 1.23.2 as the review bench's peer: its own virtual environment, PostgreSQL
database and data folder, served by gunicorn on loopback in QuietRoom's shape, and the
annotator's loop as its labelling stream does it (next task, its audio, the annotation).

Label Studio is never one of QuietRoom's requirements: it is installed by `ensure_installed`
into bench/.venvs/label-studio (git-ignored), with every package pinned by
bench/labelstudio-constraints.txt. Nothing here talks to anything but 127.0.0.1; its version
check and error reporting are switched off.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import urllib.parse
from collections import defaultdict
from pathlib import Path

import psycopg

from _http_client import Client

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venvs" / "label-studio"
PYTHON = VENV / "bin" / "python"
VERSION = "1.23.2"
GUNICORN = "gunicorn==27.0.1"  # QuietRoom's own (requirements/base.txt)
CONSTRAINTS = HERE / "labelstudio-constraints.txt"
PASSWORD = "bench annotator pass phrase"
IMPORT_CHUNK = 10_000
TRANSCRIPT = "play some jazz in the kitchen"


def ensure_installed(log=print) -> None:
    """Label Studio in its own virtual environment (python3.11 -m venv; pip with the pins)."""
    check = [str(PYTHON), "-c", f"import label_studio, sys; sys.exit(label_studio.__version__ != {VERSION!r})"]
    if PYTHON.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        return
    log(f"installing Label Studio {VERSION} into {VENV} (a few minutes, once)", flush=True)
    subprocess.run(["python3.11", "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "-q", "-c", str(CONSTRAINTS), f"label-studio=={VERSION}",
                    GUNICORN], check=True)
    subprocess.run(check, check=True)


class LabelStudio:
    """One Label Studio instance for a bench run: created on enter (database, data folder with
    the clip, migrations, people, project, `tasks` tasks), dropped on exit. Started and stopped
    per measurement with `start`/`stop`, like QuietRoom's server."""

    def __init__(self, pg: str, tasks: int, clients: int, clip: bytes, gunicorn_args: list[str], log=print):
        self.pg, self.tasks, self.clients, self.clip = pg, tasks, clients, clip
        self.gunicorn_args = gunicorn_args
        self.log = log
        self.database = f"ls_bench_{os.getpid()}"
        self.server: subprocess.Popen | None = None
        self.port = 0
        self.project = 0
        self.emails: list[str] = []
        self.owner = ""

    # --- set-up -------------------------------------------------------------------------------

    def env(self) -> dict:
        base = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TZ") if k in os.environ}
        host = urllib.parse.urlparse(self.pg)
        return {**base,
                "DJANGO_SETTINGS_MODULE": "core.settings.label_studio", "DJANGO_DB": "default",
                "POSTGRE_NAME": self.database, "POSTGRE_USER": host.username or "postgres",
                "POSTGRE_PASSWORD": host.password or "", "POSTGRE_HOST": host.hostname or "127.0.0.1",
                "POSTGRE_PORT": str(host.port or 5432),
                "LABEL_STUDIO_BASE_DATA_DIR": str(self.data_dir), "DEBUG": "false", "LOG_LEVEL": "ERROR",
                "LOCAL_FILES_SERVING_ENABLED": "true", "LOCAL_FILES_DOCUMENT_ROOT": str(self.data_dir / "files"),
                # Nothing leaves the machine: no version check, no error reports.
                "LATEST_VERSION_CHECK": "false", "SENTRY_DSN": "", "FRONTEND_SENTRY_DSN": ""}

    def package_dir(self) -> str:
        out = subprocess.run([str(PYTHON), "-c", "import label_studio, os; print(os.path.dirname(label_studio.__file__))"],
                             capture_output=True, text=True, check=True)
        return out.stdout.strip()

    def __enter__(self):
        ensure_installed(self.log)
        self.data_dir = Path(tempfile.mkdtemp(prefix="ls-bench-"))
        try:
            return self._set_up()
        except BaseException:
            self.__exit__(None, None, None)  # a half-made instance is dropped too
            raise

    def _set_up(self):
        clips = self.data_dir / "files" / "clips"
        clips.mkdir(parents=True)
        # A synthetic clip (generated speech, nobody's voice): Label Studio serves files as they are.
        (clips / "clip.wav").write_bytes(self.clip)
        with psycopg.connect(self.pg + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.database}"')
        manage = os.path.join(self.package_dir(), "manage.py")
        subprocess.run([str(PYTHON), manage, "migrate", "--no-input"], env=self.env(), check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        out = subprocess.run([str(PYTHON), str(HERE / "_labelstudio_setup.py"), str(self.clients), PASSWORD, str(clips)],
                             env=self.env(), check=True, capture_output=True, text=True)
        facts = json.loads(out.stdout.strip().splitlines()[-1])
        self.project, self.emails, self.owner = facts["project"], facts["emails"], facts["owner"]
        self.start(None)
        try:
            owner = self.signed_in(self.owner)
            task = json.dumps([{"audio": "/data/local-files/?d=clips/clip.wav"}] * IMPORT_CHUNK)
            for first in range(0, self.tasks, IMPORT_CHUNK):
                body = task if self.tasks - first >= IMPORT_CHUNK else json.dumps(
                    [{"audio": "/data/local-files/?d=clips/clip.wav"}] * (self.tasks - first))
                status, _, answer = owner.call("POST", f"/api/projects/{self.project}/import", body,
                                               {"Content-Type": "application/json"})
                if status != 201:
                    raise SystemExit(f"Label Studio import: HTTP {status} {answer[:300]!r}")
        finally:
            self.stop()
        return self

    def __exit__(self, *exc):
        self.stop()
        with psycopg.connect(self.pg + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        shutil.rmtree(self.data_dir, ignore_errors=True)

    # --- serving ------------------------------------------------------------------------------

    def start(self, access_log: str | None) -> int:
        from _support import free_port, wait_for_port

        self.port = free_port()
        command = [str(PYTHON), "-m", "gunicorn", "core.wsgi:application", "--pythonpath", self.package_dir(),
                   "--bind", f"127.0.0.1:{self.port}", *self.gunicorn_args]
        if access_log:
            command += ["--access-logfile", access_log, "--access-logformat", "%(p)s %(s)s"]
        self.server = subprocess.Popen(command, env=self.env(), cwd=self.data_dir, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL, start_new_session=True)
        wait_for_port(self.port, self.server, 120)
        return self.port

    def stop(self) -> None:
        from _support import stop

        if self.server is not None:
            stop(self.server)
            self.server = None

    # --- the annotator ------------------------------------------------------------------------

    def signed_in(self, email: str) -> Client:
        """A browser signed in through Label Studio's own login form (a real session)."""
        client = Client(self.port)
        _, _, page = client.call("GET", "/user/login/")
        csrf = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1).decode()
        status, _, _ = client.call("POST", "/user/login/", urllib.parse.urlencode(
            {"csrfmiddlewaretoken": csrf, "email": email, "password": PASSWORD}),
            {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302 or "sessionid" not in client.cookies:
            raise SystemExit(f"Label Studio login of {email}: HTTP {status}")
        return client

    def annotators(self) -> list["Annotator"]:
        return [Annotator(self, self.signed_in(email), email) for email in self.emails]

    def outcome(self, handed_out: dict) -> dict:
        """Double assignments (a task handed to more annotators than its overlap allows) and
        duplicated submissions (more annotations than the overlap, or two by one person)."""
        with psycopg.connect(f"{self.pg}/{self.database}") as conn:
            overlap = dict(conn.execute("SELECT id, overlap FROM task").fetchall())
            per_task = dict(conn.execute(
                "SELECT task_id, count(*) FROM task_completion WHERE was_cancelled = false GROUP BY task_id").fetchall())
            twice = conn.execute("SELECT count(*) FROM (SELECT task_id, completed_by_id FROM task_completion "
                                 "GROUP BY 1, 2 HAVING count(*) > 1) AS t").fetchone()[0]
            annotations = sum(per_task.values())
        return {
            "double_assigned": sum(1 for task, users in handed_out.items() if len(users) > overlap.get(task, 1)),
            "double_submitted": twice + sum(1 for task, n in per_task.items() if n > overlap.get(task, 1)),
            "submissions": annotations,
        }


class Annotator:
    """The labelling stream's loop: GET /api/projects/{id}/next/ (which locks the task for this
    annotator), the task's audio, POST the annotation the editor builds."""

    STEPS = ("next", "audio", "submit")
    PAIR = ("next", "submit")

    def __init__(self, studio: LabelStudio, client: Client, email: str):
        self.studio, self.client, self.email = studio, client, email
        self.handed_out: list[int] = []

    def loop(self, until: float, max_loops: int | None = None) -> None:
        import time

        project, client, done = self.studio.project, self.client, 0
        while time.time() < until and (max_loops is None or done < max_loops):
            status, _, body = client.call("GET", f"/api/projects/{project}/next/", step="next")
            if status != 200:  # 404: nothing left (counted as an error by the client, like any 4xx)
                if 0 < status < 400:
                    client.errors[f"next: {status}"] += 1
                return
            task = json.loads(body)
            self.handed_out.append(task["id"])
            client.call("GET", task["data"]["audio"], headers={"Range": "bytes=0-"}, step="audio")
            annotation = {
                "lead_time": 4.2, "project": str(project), "draft_id": 0, "parent_prediction": None,
                "parent_annotation": None,
                "result": [{"id": "t1", "from_name": "transcription", "to_name": "audio", "type": "textarea",
                            "origin": "manual", "value": {"text": [TRANSCRIPT]}}],
            }
            status, _, _ = client.call("POST", f"/api/tasks/{task['id']}/annotations/?project={project}",
                                       json.dumps(annotation), {"Content-Type": "application/json"}, step="submit")
            client.pairs.append(client.last("next") + client.last("submit"))
            done += 1


def handed_out(annotators: list[Annotator]) -> dict:
    tasks = defaultdict(set)
    for annotator in annotators:
        for task in annotator.handed_out:
            tasks[task].add(annotator.email)
    return tasks


if __name__ == "__main__":  # install only: python bench/_labelstudio.py
    ensure_installed()
    print(f"Label Studio {VERSION} in {VENV}")
