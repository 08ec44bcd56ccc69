"""Data-subject rights and privacy reporting.

  quietroom privacy access-report --controller NAME --customer-id ID --format json|html|pdf --out FILE
  quietroom privacy verify-report FILE.json --public-key KEY      (offline: no database)
  quietroom privacy erase --controller NAME --customer-id ID [--yes]  (asks for "yes"; resumes a killed erasure)
  quietroom privacy finish-erasures                              (cron; Celery beat does the same)
  quietroom privacy retention                                    (cron; Celery beat does the same)
  quietroom privacy transparency --from DATE --to DATE --format html|csv --out FILE
  quietroom privacy records [--out FILE]                         (GDPR Art. 30, JSON)
"""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

# What each step of an erasure means (privacy.erasure), for its progress lines.
ERASURE_STEPS = {
    "key_destroyed": "customer key destroyed: nothing of theirs can be decrypted any more, backups included",
    "content_removed": "recordings, snippets, transcripts, tasks and blobs removed",
    "exports_listed": "deletion list of the exports that held their items made",
}
ERASURE_NOTES = {
    "content_batch": "removed a batch of recordings with their snippets and blobs",
    "held_key_destroyed": "a legal hold has ended: what it kept is destroyed",
}
ACTIONS = ["access-report", "verify-report", "erase", "finish-erasures", "retention", "transparency", "records"]


class Command(BaseCommand):
    help = "Privacy: access-report, verify-report, erase, finish-erasures, retention, transparency, records."
    # call_command("privacy", "erase", ..., stdin=...) reads the confirmation from there (tests).
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("action", choices=ACTIONS, help="what to do (see the list above)")
        parser.add_argument("file", nargs="?", help="verify-report: the JSON report")
        parser.add_argument("--controller", help="the controller organisation's name")
        parser.add_argument("--customer-id", help="the product's own customer id (pseudonymised here, never stored)")
        parser.add_argument("--format", default="json", help="access-report: json, html or pdf; transparency: html or csv (default %(default)s)")
        parser.add_argument("--out", help="write the report to this file (default: standard output)")
        parser.add_argument("--public-key", help="verify-report: the audit verifier key (text or file)")
        parser.add_argument("--from", dest="start", help="transparency: first day, YYYY-MM-DD (included; days are UTC)")
        parser.add_argument("--to", dest="end", help="transparency: last day, YYYY-MM-DD (included)")
        parser.add_argument("--yes", action="store_true",
                            help="erase: confirm without the typed 'yes' (needed when standard input is not a terminal)")

    def handle(self, *args, **opts):
        getattr(self, "_" + opts["action"].replace("-", "_"))(opts)

    # -- helpers -----------------------------------------------------------------------------

    def _controller(self, opts):
        from quietroom.accounts.models import Organisation

        if not opts["controller"] or not opts["customer_id"]:
            raise CommandError("--controller NAME and --customer-id ID are required")
        controller = Organisation.objects.filter(name=opts["controller"], kind="controller").first()
        if controller is None:
            raise CommandError(f"--controller: no controller named {opts['controller']!r}")
        return controller

    def _actor(self, controller):
        from quietroom.audit.log import Actor

        return Actor(name="cli", role="privacy_officer", organisation=controller.name if controller else "", pseudonym="cli")

    def _write(self, opts, data):
        if not opts["out"]:
            raise CommandError("--out FILE is required")
        path = Path(opts["out"])
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data)
        self.stdout.write(f"wrote {path}")

    # -- actions -------------------------------------------------------------------------------

    def _access_report(self, opts):
        from quietroom.privacy import access_report, render

        if opts["format"] not in ("json", "html", "pdf"):
            raise CommandError("--format must be json, html or pdf")
        controller = self._controller(opts)
        report = access_report.build(controller, opts["customer_id"], self._actor(controller))
        self._write(opts, {"json": render.as_json, "html": render.as_html, "pdf": render.as_pdf}[opts["format"]](report))
        self.stdout.write(f"{report['access_count']} accesses, proven against checkpoint size {report['checkpoint']['size']}")

    def _verify_report(self, opts):
        from quietroom.privacy import offline

        if not opts["file"] or not opts["public_key"]:
            raise CommandError("usage: quietroom privacy verify-report FILE.json --public-key KEY")
        if offline.main([opts["file"], "--public-key", opts["public_key"]]) != 0:
            raise CommandError(f"{opts['file']}: report NOT verified")

    def _erase(self, opts):
        from quietroom.ops.confirm import confirm_or_refuse
        from quietroom.ops.progress import Progress
        from quietroom.privacy.erasure import describe_hold, erase_customer, held_report

        controller = self._controller(opts)
        confirm_or_refuse(
            "privacy erase",
            f"this destroys the key of this customer of {controller.name} and removes their recordings, snippets "
            "and transcripts (what a legal hold keeps stays until the hold ends)",
            stdin=opts.get("stdin") or sys.stdin, stdout=self.stdout, yes=opts["yes"])
        # Each step commits before the next: show each as it is done (a bar on a terminal).
        with Progress(self.stdout, len(ERASURE_STEPS), "erasure", unit="step") as progress:
            def after_step(step: str) -> None:
                if step in ERASURE_STEPS:
                    progress.step(ERASURE_STEPS[step])
                else:
                    progress.note(f"erasure: {ERASURE_NOTES.get(step, step)}")

            request = erase_customer(controller, opts["customer_id"], self._actor(controller), after_step=after_step)
        self.stdout.write(f"erasure {request.id}: {request.step}; removed {request.removed}")
        for export in request.exports:
            self.stdout.write(f"deletion list: export {export['export_id']} ({export['format']}, "
                              f"{export['created_at']}) held {export['items']} items")
        held = held_report(request)
        for entry in held:
            self.stdout.write(f"kept under legal hold: {describe_hold(entry)}")
        if held:
            self.stdout.write("Everything else of this customer is erased. The erasure finishes by itself when "
                              "these holds end (released, or the proposal turned down).")

    def _finish_erasures(self, opts):
        from quietroom.privacy.erasure import finish_waiting

        self.stdout.write(f"erasures resumed: {finish_waiting()}")

    def _retention(self, opts):
        from quietroom.privacy.retention import enforce

        self.stdout.write(f"retention: {enforce()}")

    def _transparency(self, opts):
        from quietroom.privacy import transparency

        try:
            start = datetime.fromisoformat(opts["start"]).replace(tzinfo=timezone.utc)
            # --to is included (like `export --to`): the period ends when that day does.
            end = datetime.fromisoformat(opts["end"]).replace(tzinfo=timezone.utc) + timedelta(days=1)
        except (TypeError, ValueError):
            raise CommandError("--from and --to must be dates like 2026-01-01") from None
        if end <= start:
            raise CommandError("--to must not be before --from")
        if opts["format"] not in ("html", "csv"):
            raise CommandError("--format must be html or csv")
        report = transparency.build(start, end)
        self._write(opts, transparency.as_html(report) if opts["format"] == "html" else transparency.as_csv(report))

    def _records(self, opts):
        from quietroom.privacy import records

        text = records.as_json()
        if opts["out"]:
            self._write(opts, text)
        else:
            self.stdout.write(text, ending="")

