"""quietroom trace FILE --as USERNAME: which delivery a leaked copy of a snippet came from.

Reads any format QuietRoom decodes (WAV, FLAC, OGG/Opus, MP3), looks for the forensic
watermark under every configured key, and prints the delivery it names (audit event, time,
purpose, reviewer pseudonym; the real identity when USERNAME may map pseudonyms back), the
detection score and its false-alarm probability, or "no mark found". Audited as the person
named by --as (a privacy officer or an auditor), like every trace.
"""
from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Trace a leaked audio file back to the play or export it came from (forensic watermark)."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the audio file to trace (WAV, FLAC, OGG/Opus or MP3)")
        parser.add_argument("--as", dest="username", required=True,
                            help="the privacy officer or auditor running the trace (audited under their name)")

    def handle(self, *args, **opts):
        from quietroom.accounts.models import User
        from quietroom.privacy import leaks

        user = User.objects.filter(username=opts["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"--as: no active user named {opts['username']!r}")
        if not leaks.may_trace(user):
            raise CommandError(f"--as: {opts['username']!r} is a {user.role}; only privacy officers and auditors trace")
        path = Path(opts["file"])
        try:
            data = path.read_bytes()
        except OSError as problem:
            raise CommandError(f"{path}: cannot be read ({problem.strerror or problem})") from None
        try:
            traced = leaks.trace_file(data, user, address="cli", name=str(path))
        except leaks.TraceRefused as refused:
            raise CommandError(str(refused)) from None
        for line in traced.lines():
            self.stdout.write(line)
