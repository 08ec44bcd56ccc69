"""`flush` that respects the append-only audit log.

The triggers stay, so a flush that would wipe the audit log is refused with a clear message.
(The test suite lifts the triggers around its own flushes: tests/testenv.py.)
"""
from django.core.management import CommandError
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import DatabaseError


class Command(DjangoFlush):
    def handle(self, **options):
        try:
            return super().handle(**options)
        except (CommandError, DatabaseError) as exc:
            raise CommandError(f"flush refused: the audit log is append-only ({exc})") from None
