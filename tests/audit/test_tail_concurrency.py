"""Appenders in several threads, each committing, on PostgreSQL: the in-process checkpoints they
trigger never race (each one's consistency proof starts at the checkpoint before it), no
append sees a wrong head tag, and the whole log verifies."""
import threading

import pytest
from django.db import connection

from quietroom.audit.log import Actor, record, verify
from quietroom.audit.models import AuditCheckpoint, AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)  # real commits: on_commit checkpoints, row locks
THREADS, EACH = 6, 30


def test_concurrent_appends_and_in_process_checkpoints_keep_the_log_whole(settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are exercised on PostgreSQL (SQLite has one writer)")
    settings.AUDIT_CHECKPOINT_EVERY, settings.AUDIT_CHECKPOINT_SECONDS = 7, 0
    errors, start = [], threading.Barrier(THREADS)

    def work(n):
        try:
            start.wait()
            for i in range(EACH):
                record(Actor(name=f"r{n}", role="reviewer", pseudonym=f"r_{n}"), "snippet.play", object_id=f"{n}-{i}")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert AuditEvent.objects.count() == THREADS * EACH
    assert not AuditEvent.objects.filter(action="audit.head_mismatch").exists()
    sizes = list(AuditCheckpoint.objects.order_by("size").values_list("size", "previous_size"))
    assert len(sizes) >= (THREADS * EACH) // 7 - 1
    assert all(prev == before for (_, prev), (before, _) in zip(sizes[1:], sizes))
    result = verify()
    assert result.ok, result
