"""The audit chain: tampering directly in the database is detected and the entry named."""
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from quietroom.audit.log import Actor, record, verify
from quietroom.audit.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def events(db):
    actor = Actor(name="alice", role="reviewer", site="Leeds", country="GB")
    return [record(actor, "snippet.play", object_type="snippet", object_id=f"s{i}") for i in range(1, 6)]


def sql(statement, params=()):
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_untouched_log_verifies(events):
    assert verify().ok and verify().checked == 5
    call_command("audit", "verify")


def test_an_edited_entry_is_named(events):
    sql("UPDATE audit_auditevent SET actor = %s WHERE seq = 3", ["mallory"])
    result = verify()
    assert not result.ok and result.first_bad_seq == 3 and "edited" in result.reason
    with pytest.raises(CommandError, match="entry 3"):
        call_command("audit", "verify")


def test_a_deleted_entry_is_named(events):
    sql("DELETE FROM audit_auditevent WHERE seq = 2")
    result = verify()
    assert not result.ok and result.first_bad_seq == 3


def test_reordered_entries_are_detected(events):
    sql("UPDATE audit_auditevent SET seq = -1 WHERE seq = 2")
    sql("UPDATE audit_auditevent SET seq = 2 WHERE seq = 4")
    sql("UPDATE audit_auditevent SET seq = 4 WHERE seq = -1")
    result = verify()
    assert not result.ok and result.first_bad_seq == 2


def test_an_inserted_entry_is_detected(events):
    # Make room after entry 2 by moving 3..5 up one (highest first: seq is unique), then insert.
    for seq in (5, 4, 3):
        sql("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [seq + 1, seq])
    copy = AuditEvent.objects.get(seq=2)
    sql(
        "INSERT INTO audit_auditevent (seq, at, actor, role, organisation, site, country, address, action, "
        "object_type, object_id, customer, purpose, outcome, details, prev_hash, hash) "
        "VALUES (3, %s, 'mallory', '', '', '', '', '', 'snippet.play', '', '', '', '', 'ok', '{}', %s, %s)",
        [copy.at, copy.hash, "d" * 64],
    )
    result = verify()
    assert not result.ok and result.first_bad_seq == 3


def test_an_appended_forgery_with_a_bad_link_is_detected(events):
    last = AuditEvent.objects.get(seq=5)
    AuditEvent.objects.create(
        seq=6, at=last.at, actor="mallory", action="snippet.play", outcome="ok",
        prev_hash="f" * 64, hash="e" * 64, details={},
    )
    result = verify()
    assert not result.ok and result.first_bad_seq == 6


def test_events_never_carry_content_or_real_customer_ids(ingested, make_reviewer, reviewer_client):
    client = reviewer_client(make_reviewer())
    response = client.post("/room/next/")
    client.post(response["Location"], {"transcript": "my secret words", "idempotency_key": "k" * 32})
    dump = " ".join(str(row) for row in AuditEvent.objects.values())
    assert "my secret words" not in dump
    assert "cust-000" not in dump
    assert AuditEvent.objects.filter(action="transcript.submit").exists()
