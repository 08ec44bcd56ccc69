"""`flush` that respects the append-only audit log.

Outside test mode the triggers stay and a flush that would wipe the audit log is refused.
In test mode (the suite's transactional tests flush between tests) the triggers are lifted
for the flush only and put back at once.
"""
from django.conf import settings
from django.core import mail
from django.core.management import CommandError
from django.core.management.commands.flush import Command as DjangoFlush
from django.db import DatabaseError, connections

from quietroom.audit import triggers


class Command(DjangoFlush):
    def handle(self, **options):
        connection = connections[options["database"]]
        if not _under_test(settings):
            try:
                return super().handle(**options)
            except (CommandError, DatabaseError) as exc:
                raise CommandError(f"flush refused: the audit log is append-only ({exc})") from None
        triggers.drop(connection)
        try:
            return super().handle(**options)
        finally:
            triggers.install(connection)


def _under_test(settings) -> bool:
    # Django's setup_test_environment() installs mail.outbox; pytest-django may configure
    # settings before the suite's conftest sets QUIETROOM_MODE=test, so check both.
    return settings.MODE == "test" or hasattr(mail, "outbox")
