"""The tail of the audit log (entries after the newest signed checkpoint) is tamper-evident to
someone who holds only the database: rewriting it needs the chain key, cutting it leaves the
head row behind (or an untagged head), and checkpoints are signed without any broker.

The attacker here drops the append-only triggers and uses the documented canonical form
(log.canonical_json, chain_hash, leaf_hash_hex) to recompute every hash; what they do not
have is the chain key, which lives in a file beside the signing key, not in the database.
"""
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from quietroom.audit import triggers
from quietroom.audit.log import Actor, canonical_json, chain_hash, leaf_hash_hex, record, verify
from quietroom.audit.models import AuditCheckpoint, AuditEvent, AuditHead
from tests.audit.tamper import sql, triggers_lifted

pytestmark = pytest.mark.django_db

ALICE = Actor(name="alice", role="reviewer", site="Leeds", country="GB", pseudonym="r_alice")


@pytest.fixture
def signed_then_tail(db):
    """Entries 1..5 under a signed checkpoint, then an unsigned tail 6..8."""
    for i in range(1, 6):
        record(ALICE, "snippet.play", object_type="snippet", object_id=f"s{i}")
    call_command("audit", "checkpoint")
    for i in range(6, 9):
        record(ALICE, "snippet.play", object_type="snippet", object_id=f"s{i}")
    assert verify().ok
    return AuditCheckpoint.objects.get().size


@pytest.fixture
def attacker(signed_then_tail):
    """Owns the database: the triggers are gone while the test tampers (put back after)."""
    with triggers_lifted():
        yield



def rechain_from(seq: int, **changes) -> None:
    """Change entry `seq`, then recompute its hashes and every later one's with the canonical form."""
    rows = list(AuditEvent.objects.filter(seq__gte=seq - 1).order_by("seq"))
    prev = rows[0].hash if rows[0].seq == seq - 1 else "0" * 64
    for event in rows:
        if event.seq < seq:
            continue
        if event.seq == seq:
            for name, value in changes.items():
                setattr(event, name, value)
        entry = canonical_json(event)
        event.prev_hash, event.hash, event.leaf_hash = prev, chain_hash(prev, entry), leaf_hash_hex(entry)
        AuditEvent.objects.filter(pk=event.pk).update(
            prev_hash=event.prev_hash, hash=event.hash, leaf_hash=event.leaf_hash, **changes if event.seq == seq else {})
        prev = event.hash
    AuditHead.objects.filter(id=1).update(seq=rows[-1].seq, hash=prev)  # the head follows, as far as it can


def test_a_tail_entry_rewritten_with_recomputed_hashes_is_named(attacker):
    rechain_from(7, actor="mallory", object_id="s-other")
    result = verify()
    assert not result.ok and result.first_bad_seq == 7 and "MAC" in result.reason
    with pytest.raises(CommandError, match="entry 7"):
        call_command("audit", "verify")


def test_a_forged_entry_appended_with_a_correct_chain_is_named(attacker):
    last = AuditEvent.objects.get(seq=8)
    forged = AuditEvent(seq=9, at=last.at, actor="mallory", action="snippet.play", outcome="ok", details={},
                        salt="0" * 32, prev_hash=last.hash)
    entry = canonical_json(forged)
    forged.hash, forged.leaf_hash = chain_hash(last.hash, entry), leaf_hash_hex(entry)
    forged.save()
    AuditHead.objects.filter(id=1).update(seq=9, hash=forged.hash)
    result = verify()
    assert not result.ok and result.first_bad_seq == 9 and "MAC" in result.reason


def test_deleting_the_newest_entry_is_named(attacker):
    sql("DELETE FROM audit_auditevent WHERE seq = 8")
    result = verify()
    assert not result.ok and result.first_bad_seq == 8 and "removed" in result.reason
    with pytest.raises(CommandError, match="entry 8"):
        call_command("audit", "verify")


def test_cutting_the_tail_and_moving_the_head_back_is_detected_and_stays_on_record(attacker):
    sql("DELETE FROM audit_auditevent WHERE seq >= 7")
    # The head is moved back to entry 6; its tag cannot be (test_chain_key: no MAC in the
    # database stands in for a head tag).
    AuditHead.objects.filter(id=1).update(seq=6, hash=AuditEvent.objects.get(seq=6).hash)
    result = verify()
    assert not result.ok and result.first_bad_seq == 7 and "head" in result.reason
    # The next append, by the application, must not quietly make the shortened log whole again.
    triggers.install(connection)
    record(ALICE, "snippet.play", object_type="snippet", object_id="s9")
    alarm = AuditEvent.objects.get(seq=7)
    assert alarm.action == "audit.head_mismatch" and alarm.details == {"head_seq": 6}
    assert AuditEvent.objects.get(seq=8).object_id == "s9"
    result = verify()
    assert not result.ok and result.first_bad_seq == 7 and "cut" in result.reason


def test_a_checkpoint_is_not_signed_over_a_rewritten_tail(attacker):
    from quietroom.audit import checkpoints

    head = AuditHead.objects.values_list("seq", "hash", "tag").get()
    rechain_from(7, actor="mallory")
    for incremental in (False, True):  # the head moved: its tag no longer fits
        with pytest.raises(checkpoints.CheckpointRefused, match=r"head row \(entry 8\)"):
            checkpoints.write_checkpoint(incremental=incremental)
    AuditHead.objects.filter(id=1).update(seq=head[0], hash=head[1], tag=head[2])
    for incremental in (False, True):  # the head put back: the rewritten entries fail their MACs
        with pytest.raises(checkpoints.CheckpointRefused, match="entry 7"):
            checkpoints.write_checkpoint(incremental=incremental)
    assert AuditCheckpoint.objects.count() == 1


def test_checkpoints_appear_without_celery_every_n_entries(db, settings, django_capture_on_commit_callbacks):
    settings.AUDIT_CHECKPOINT_EVERY, settings.AUDIT_CHECKPOINT_SECONDS = 4, 0
    settings.CELERY_BEAT_SCHEDULE = {}  # nothing scheduled: the appends themselves sign
    for i in range(10):
        with django_capture_on_commit_callbacks(execute=True):  # each append commits
            record(ALICE, "snippet.play", object_type="snippet", object_id=f"s{i}")
    made = list(AuditCheckpoint.objects.order_by("size"))
    assert [c.size for c in made] == [4, 8]
    assert made[1].previous_size == 4 and len(made[1].compact_range) == 1  # 8 leaves: one perfect subtree
    result = verify()
    assert result.ok and result.checkpoints_checked == 2 and result.unsigned_tail == 2


def test_a_checkpoint_is_signed_at_the_first_append_after_the_interval(db, settings, django_capture_on_commit_callbacks):
    from quietroom.audit import log

    settings.AUDIT_CHECKPOINT_EVERY, settings.AUDIT_CHECKPOINT_SECONDS = 0, 60
    log._last_checkpoint_request[0] -= 61
    for i in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            record(ALICE, "snippet.play", object_type="snippet", object_id=f"s{i}")
    assert list(AuditCheckpoint.objects.values_list("size", flat=True)) == [1]  # then not again for 60 s


def test_an_incremental_checkpoint_equals_a_full_one(signed_then_tail):
    from quietroom.audit import checkpoints, merkle

    incremental = checkpoints.write_checkpoint(incremental=True)
    tree = merkle.MerkleTree(checkpoints.stored_leaves(8))
    assert incremental.size == 8 and incremental.root_hash == tree.root().hex()
    assert incremental.consistency_proof == [p.hex() for p in tree.consistency_proof(5, 8)]
    assert verify().ok and verify().checkpoints_checked == 2


def test_record_costs_no_extra_query(db, django_assert_num_queries):
    record(ALICE, "snippet.play")  # the head row exists from here on
    with django_assert_num_queries(2 if connection.vendor == "postgresql" else 3):
        record(ALICE, "snippet.play")


def test_entries_written_before_the_chain_key_are_keyed_by_the_migration(signed_then_tail):
    """Upgrading: migration audit 0003 gives every existing entry its MAC and the head its tag."""
    import importlib
    from types import SimpleNamespace

    triggers.drop(connection)
    sql("UPDATE audit_auditevent SET mac = ''")
    sql("UPDATE audit_audithead SET tag = ''")
    triggers.install(connection)
    assert not verify().ok
    migration = importlib.import_module("quietroom.audit.migrations.0003_chain_key")
    migration.key_existing(None, SimpleNamespace(connection=connection))
    assert triggers.installed(connection) == triggers.expected(connection)
    assert verify().ok


def test_without_the_chain_key_verify_checks_the_rest_and_says_so(signed_then_tail):
    result = verify(check_macs=False)
    assert result.ok and any("not checked" in w for w in result.warnings)


@pytest.mark.parametrize("stored", ["[]", '["' + "ab" * 32 + '"]'])
def test_an_incremental_checkpoint_never_trusts_a_missing_or_altered_compact_range(signed_then_tail, stored):
    """Checkpoints from before this version have no compact range; an altered one does not fold
    to the signed root. Either way the next checkpoint is built from every stored leaf."""
    from quietroom.audit import checkpoints

    triggers.drop(connection)
    sql("UPDATE audit_auditcheckpoint SET compact_range = %s", [stored])
    triggers.install(connection)
    made = checkpoints.write_checkpoint(incremental=True)
    assert made.size == 8 and len(made.compact_range) == 1
    result = verify()
    if stored == "[]":
        assert result.ok and result.checkpoints_checked == 2
    else:
        assert not result.ok and "compact range" in result.reason
