"""The attacker who owns the database, for the audit tests: triggers lifted, raw SQL."""
from contextlib import contextmanager

from django.db import connection

from quietroom.audit import triggers


@contextmanager
def triggers_lifted():
    """The append-only triggers are gone while the test tampers (put back after; the test's
    rollback would put them back too, DDL being transactional on SQLite and PostgreSQL)."""
    triggers.drop(connection)
    try:
        yield
    finally:
        triggers.install(connection)


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
