"""JSONL export: reviewed transcripts with pseudonymous ids only, every read audited."""
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from quietroom.audit.models import AuditEvent
from quietroom.recordings.models import CustomerKey
from quietroom.review import queue
from quietroom.review.submissions import submit

pytestmark = pytest.mark.django_db


def review_two(make_reviewer):
    user = make_reviewer()
    texts = []
    for i in range(2):
        task = queue.next_task(user, timezone.now())
        texts.append(f"transcript number {i}")
        submit(user, task.id, texts[-1], f"key-{i}", now=timezone.now())
    return user, texts


def test_export_writes_transcripts_with_pseudonymous_ids_only(ingested, make_reviewer, tmp_path):
    user, texts = review_two(make_reviewer)
    out = tmp_path / "export.jsonl"
    call_command("export", "--format", "jsonl", "--out", str(out))
    raw = out.read_text()
    items = [json.loads(line) for line in raw.splitlines()]
    assert sorted(item["transcript"] for item in items) == texts
    pseudonyms = set(CustomerKey.objects.values_list("pseudonym", flat=True))
    assert all(item["customer"] in pseudonyms for item in items)
    assert all(item["reviewer"] == user.pseudonym for item in items)
    for forbidden in ("cust-0001", "cust-0002", "rec0.wav", "r-1", "blob", user.username):
        assert forbidden not in raw
    required = {"export_id", "snippet_id", "customer", "locale", "duration", "transcript", "reviewer", "submitted_at"}
    # labels / agreement / gold appear only when the review produced them.
    assert required <= set(items[0]) <= required | {"labels", "agreement", "gold"}
    from quietroom.exports.models import Export, ExportCustomer

    export = Export.objects.get()
    assert {item["export_id"] for item in items} == {str(export.id)} and export.item_count == 2
    held = dict(ExportCustomer.objects.values_list("customer_pseudonym", "items"))
    assert held == {item["customer"]: sum(1 for i in items if i["customer"] == item["customer"]) for item in items}
    assert AuditEvent.objects.filter(action="transcript.read", purpose="export").count() == 2
    assert AuditEvent.objects.filter(action="export").count() == 1


def test_export_refuses_to_overwrite_a_file(ingested, make_reviewer, tmp_path):
    out = tmp_path / "exists.jsonl"
    out.write_text("keep me")
    with pytest.raises(Exception, match="exists"):
        call_command("export", "--out", str(out))
    assert out.read_text() == "keep me"


def test_export_skips_customers_whose_key_is_destroyed(ingested, make_reviewer, tmp_path):
    review_two(make_reviewer)
    CustomerKey.objects.update(destroyed_at=timezone.now(), wrapped_key=None)
    out = tmp_path / "after-erasure.jsonl"
    call_command("export", "--out", str(out))
    assert out.read_text() == ""
