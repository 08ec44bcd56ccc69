"""The audit log: tampering directly in the database (bypassing the app, with the
append-only triggers dropped) is detected and the entry named; with the triggers in place
the database itself refuses UPDATE and DELETE."""
import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from quietroom.audit import triggers
from quietroom.audit.log import Actor, record, verify
from quietroom.audit.models import AuditCheckpoint, AuditEvent
from tests.audit.tamper import sql, triggers_lifted

pytestmark = pytest.mark.django_db


@pytest.fixture
def events(db):
    actor = Actor(name="alice", role="reviewer", site="Leeds", country="GB", pseudonym="r_alice")
    return [record(actor, "snippet.play", object_type="snippet", object_id=f"s{i}") for i in range(1, 6)]


@pytest.fixture
def no_triggers(events):
    """Play the attacker who owns the database: lift the triggers (the flush puts them back)."""
    with triggers_lifted():
        yield



def test_an_untouched_log_verifies(events):
    assert verify().ok and verify().checked == 5
    call_command("audit", "verify")


def test_triggers_are_installed_by_the_migrations(db):
    assert triggers.installed(connection) == triggers.expected(connection)


@pytest.mark.parametrize("statement", [
    "UPDATE audit_auditevent SET actor = 'mallory' WHERE seq = 3",
    "UPDATE audit_auditevent SET leaf_hash = leaf_hash WHERE seq = 3",
    "DELETE FROM audit_auditevent WHERE seq = 2",
    "DELETE FROM audit_auditevent",
])
def test_the_database_refuses_update_and_delete(events, statement):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            sql(statement)
    assert AuditEvent.objects.count() == 5 and verify().ok


def test_the_orm_cannot_rewrite_history_either(events):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            AuditEvent.objects.filter(seq=1).update(outcome="denied")
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            AuditEvent.objects.filter(seq=1).delete()


def test_checkpoints_cannot_be_rewritten(events):
    call_command("audit", "checkpoint")
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            sql("UPDATE audit_auditcheckpoint SET size = 1")
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            sql("DELETE FROM audit_auditcheckpoint")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE exists on PostgreSQL only")
def test_postgresql_refuses_truncate(events):
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            # CASCADE: the delivery table's foreign key would otherwise refuse first, and an
            # attacker would add it; the trigger must still refuse.
            sql("TRUNCATE audit_auditevent CASCADE")


def test_a_flush_is_refused(events):
    with pytest.raises(CommandError, match="append-only"):
        call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 5


def test_an_edited_entry_is_named(no_triggers):
    sql("UPDATE audit_auditevent SET actor = %s WHERE seq = 3", ["mallory"])
    result = verify()
    assert not result.ok and result.first_bad_seq == 3 and "edited" in result.reason
    with pytest.raises(CommandError, match="entry 3"):
        call_command("audit", "verify")


def test_an_edited_detail_is_named(no_triggers):
    sql("UPDATE audit_auditevent SET country = 'US' WHERE seq = 4")
    result = verify()
    assert not result.ok and result.first_bad_seq == 4


def test_a_deleted_entry_is_named(no_triggers):
    sql("DELETE FROM audit_auditevent WHERE seq = 2")
    result = verify()
    assert not result.ok and result.first_bad_seq == 3
    with pytest.raises(CommandError, match="entry 3"):
        call_command("audit", "verify")


def test_reordered_entries_are_detected(no_triggers):
    sql("UPDATE audit_auditevent SET seq = -1 WHERE seq = 2")
    sql("UPDATE audit_auditevent SET seq = 2 WHERE seq = 4")
    sql("UPDATE audit_auditevent SET seq = 4 WHERE seq = -1")
    result = verify()
    assert not result.ok and result.first_bad_seq == 2
    with pytest.raises(CommandError, match="entry 2"):
        call_command("audit", "verify")


def test_an_inserted_entry_is_detected(no_triggers):
    # Make room after entry 2 by moving 3..5 up one (highest first: seq is unique), then insert.
    for seq in (5, 4, 3):
        sql("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [seq + 1, seq])
    copy = AuditEvent.objects.get(seq=2)
    sql(
        "INSERT INTO audit_auditevent (seq, at, actor, actor_pseudonym, role, organisation, site, country, "
        "address, action, object_type, object_id, customer, purpose, outcome, details, salt, prev_hash, hash, leaf_hash) "
        "VALUES (3, %s, 'mallory', '', '', '', '', '', '', 'snippet.play', '', '', '', '', 'ok', '{}', '', %s, %s, %s)",
        [copy.at, copy.hash, "d" * 64, "d" * 64],
    )
    result = verify()
    assert not result.ok and result.first_bad_seq == 3
    with pytest.raises(CommandError, match="entry 3"):
        call_command("audit", "verify")


def test_an_appended_forgery_with_a_bad_link_is_detected(no_triggers):
    last = AuditEvent.objects.get(seq=5)
    AuditEvent.objects.create(
        seq=6, at=last.at, actor="mallory", action="snippet.play", outcome="ok",
        prev_hash="f" * 64, hash="e" * 64, details={},
    )
    result = verify()
    assert not result.ok and result.first_bad_seq == 6


def test_a_consistent_rewrite_is_caught_by_the_signed_checkpoint(events):
    """An attacker who recomputes every hash, and even holds the chain key (a compromised
    application server), still cannot re-sign the checkpoint."""
    from quietroom.audit.common import chain_key
    from quietroom.audit.log import canonical_json, chain_hash, leaf_hash_hex
    from quietroom.audit.models import AuditHead

    call_command("audit", "checkpoint")
    record(Actor.system(), "export")  # entries 6, 7 after the checkpoint
    record(Actor.system(), "export")
    key = chain_key()
    triggers.drop(connection)
    try:
        rows = list(AuditEvent.objects.order_by("seq"))
        rows[2].actor = "mallory"
        prev = rows[1].hash
        for event in rows[2:]:
            entry = canonical_json(event)
            event.prev_hash, event.hash, event.leaf_hash = prev, chain_hash(prev, entry), leaf_hash_hex(entry)
            AuditEvent.objects.filter(pk=event.pk).update(
                actor=event.actor, prev_hash=event.prev_hash, hash=event.hash, leaf_hash=event.leaf_hash,
                mac=key.entry_mac(event.hash, event.leaf_hash))
            prev = event.hash
        AuditHead.objects.filter(id=1).update(hash=prev, tag=key.head_tag(rows[-1].seq, prev))
    finally:
        triggers.install(connection)
    result = verify()
    assert not result.ok and result.first_bad_seq == 1 and "checkpoint at size 5" in result.reason


def test_removing_entries_behind_a_checkpoint_is_detected(no_triggers):
    call_command("audit", "checkpoint")
    sql("DELETE FROM audit_auditevent WHERE seq >= 4")
    result = verify()
    assert not result.ok and result.first_bad_seq == 4 and "signed" in result.reason


def test_a_forged_checkpoint_signature_is_detected(no_triggers):
    call_command("audit", "checkpoint")
    note = AuditCheckpoint.objects.get().note
    body, _, sig = note.partition("\n\n")
    forged = body + "\n\n" + sig[:-10] + ("A" if sig[-10] != "A" else "B") + sig[-9:]
    sql("UPDATE audit_auditcheckpoint SET note = %s", [forged])
    result = verify()
    assert not result.ok and "signature" in result.reason


def test_events_never_carry_content_or_real_customer_ids(ingested, make_reviewer, reviewer_client):
    client = reviewer_client(make_reviewer())
    response = client.post("/room/next/")
    client.post(response["Location"], {"transcript": "my secret words", "idempotency_key": "k" * 32})
    dump = " ".join(str(row) for row in AuditEvent.objects.values())
    assert "my secret words" not in dump
    assert "cust-000" not in dump
    assert AuditEvent.objects.filter(action="transcript.submit").exists()
    assert verify().ok
