"""Pytest plugin (loaded with `-p tests.testenv` from pyproject.toml): each test process gets
its own data folder — SQLite test database, blobs, generated secrets and master key — so tests
never touch a real installation (or the demo's folder), parallel workers (pytest-xdist) never
share a database or a blob folder, and tests can scan the folder for plaintext.

It must be a plugin rather than a conftest.py: pytest-django configures Django, and so reads
the settings, before conftest files are imported.
"""
import os
import tempfile

os.environ.setdefault("QUIETROOM_MODE", "test")
# pytest-xdist starts its workers with the controller's environment: a folder the controller
# made here would be shared by every worker (one worker's scan for plaintext would then see
# another's files come and go). So each worker makes its own, unless whoever started pytest
# chose a folder.
_MADE_HERE = "QUIETROOM_TEST_DATA_DIR_MADE_BY_PYTEST"
if os.environ.get("PYTEST_XDIST_WORKER") and os.environ.get(_MADE_HERE):
    os.environ["QUIETROOM_DATA_DIR"] = tempfile.mkdtemp(prefix=f"quietroom-test-{os.environ['PYTEST_XDIST_WORKER']}-")
elif "QUIETROOM_DATA_DIR" not in os.environ:
    os.environ["QUIETROOM_DATA_DIR"] = tempfile.mkdtemp(prefix="quietroom-test-")
    os.environ[_MADE_HERE] = "1"
os.environ.pop("REDIS_URL", None)  # jobs in-process unless a test opts in


def _flush_past_the_audit_triggers() -> None:
    """Let the flush that ends a transactional test empty the append-only audit tables.

    Production's `flush` refuses to wipe the audit log (the triggers stop it). A transactional
    test (live server, concurrency, fault tests) ends with a flush of every table, so the
    suite lifts the triggers for that flush only; `post_migrate` puts them back, and so does
    the `finally` below should the flush fail.
    """
    from django.db import connections
    from django.test import TransactionTestCase

    from quietroom.audit import triggers

    original = TransactionTestCase._fixture_teardown
    if getattr(original, "_lifts_audit_triggers", False):
        return

    def _fixture_teardown(self):
        aliases = list(self._databases_names(include_mirrors=False))
        for alias in aliases:
            triggers.drop(connections[alias])
        try:
            original(self)
        finally:
            for alias in aliases:
                triggers.install(connections[alias])

    _fixture_teardown._lifts_audit_triggers = True
    TransactionTestCase._fixture_teardown = _fixture_teardown


def pytest_configure(config):
    _flush_past_the_audit_triggers()
