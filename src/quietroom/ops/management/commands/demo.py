import io
import json
import os
import socket
import time
import urllib.request

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from quietroom.audit.log import Actor, verify
from quietroom.exports.jsonl import export_jsonl
from quietroom.ops import demo, serving, smoke


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, proc, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CommandError(f"the web server exited early (code {proc.returncode})")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            time.sleep(0.3)
    raise CommandError("the web server did not start within 60 s")


class Command(BaseCommand):
    help = "Set up a demo (sample speech, one invitation per role) and serve it on 127.0.0.1."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8000, help="port to serve the demo on, on 127.0.0.1 (default %(default)s)")
        parser.add_argument("--smoke", action="store_true", help="headless self-check; exit 0 only if every step works")

    def handle(self, *args, **opts):
        self.stdout.write(f"data folder: {settings.DATA_DIR}")
        call_command("migrate", verbosity=0, interactive=False)
        if opts["smoke"]:
            return self._smoke()
        setup = demo.set_up(username="demo-reviewer", recordings=3)
        self._report(setup)
        url = f"http://127.0.0.1:{opts['port']}{setup.invitation_path}"
        self.stdout.write(self.style.SUCCESS(
            f"\nOpen this one-time link to become the demo reviewer '{setup.reviewer_username}' "
            f"(it works once, for 2 hours):\n\n    {url}\n\n"
            "You will choose a password and add an authenticator app (any TOTP app).\n"
        ))
        if setup.officer_invitation_path:
            self.stdout.write(
                f"The controller's privacy officer '{setup.officer_username}' receives escalations (their e-mails "
                "are printed here). To handle them, open this link in a private window (works once, 2 hours):\n\n"
                f"    http://127.0.0.1:{opts['port']}{setup.officer_invitation_path}\n")
        if setup.others:
            self.stdout.write("Every other role, to see its pages (each link once, 2 hours; use a private window each):")
            for role, username, organisation, path in setup.others:
                link = f"http://127.0.0.1:{opts['port']}{path}" if path else "(already signed up)"
                self.stdout.write(f"  {role:<18} {username:<20} {organisation:<26} {link}")
            self.stdout.write("")
        command = serving.gunicorn_command("127.0.0.1", opts["port"], workers=2)
        os.execv(command[0], command)

    def _report(self, setup) -> None:
        for line in setup.report.lines():
            self.stdout.write(line)

    def _smoke(self):
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        # The web server starts while the sample speech is de-identified: it needs only the
        # migrated database, and its own start (imports, the watermark's warm-up) takes seconds.
        proc = serving.start("127.0.0.1", port, workers=2, quiet=True)
        try:
            # The self-check plays one snippet, so one short sample recording (two turns, two
            # snippets) is enough and finishes sooner; the demo itself shows three of four turns.
            setup = demo.set_up(username="smoke-reviewer", recordings=1, utterances=2)
            self._report(setup)
            _wait_until_up(base + "/accounts/login/", proc)
            try:
                facts = smoke.run(base, setup.invitation_path, setup.reviewer_username, log=self.stdout.write)
            except smoke.SmokeFailure as exc:
                raise CommandError(f"smoke check: {exc}") from exc
        finally:
            proc.terminate()
            proc.wait(timeout=20)
        buffer = io.StringIO()
        export_jsonl(buffer, Actor(name="smoke", role="controller_admin"))
        exported = [json.loads(line) for line in buffer.getvalue().splitlines()]
        if not any(item["transcript"] == facts["transcript"] for item in exported):
            raise CommandError("smoke check: export does not contain the submitted transcript")
        if any("demo-customer" in json.dumps(item) for item in exported):
            raise CommandError("smoke check: export leaks a real customer id")
        self.stdout.write("ok   export holds the transcript under pseudonymous ids")
        result = verify()
        if not result.ok:
            raise CommandError(f"smoke check: audit log broken at entry {result.first_bad_seq}")
        self.stdout.write(f"ok   audit log intact ({result.checked} entries)")
        self.stdout.write(self.style.SUCCESS("smoke check passed"))
