import sys

from django.core.management.base import BaseCommand, CommandError

from quietroom.audit.log import Actor
from quietroom.exports.jsonl import export_jsonl


class Command(BaseCommand):
    help = "Export reviewed transcripts (pseudonymous ids only)."

    def add_arguments(self, parser):
        parser.add_argument("--format", default="jsonl", choices=["jsonl"])
        parser.add_argument("--out", default="-", help="output file, or - for standard output")
        parser.add_argument("--locale", help="only this locale, e.g. en-GB")

    def handle(self, *args, **opts):
        actor = Actor(name="cli", role="controller_admin")
        if opts["out"] == "-":
            export = export_jsonl(sys.stdout, actor, locale=opts["locale"])
        else:
            try:
                with open(opts["out"], "x", encoding="utf-8") as fh:
                    export = export_jsonl(fh, actor, locale=opts["locale"])
            except FileExistsError as exc:
                raise CommandError(f"{opts['out']} exists; choose a new file name") from exc
        self.stderr.write(f"export {export.id}: {export.item_count} transcript(s)")
