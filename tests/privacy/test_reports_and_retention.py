"""Retention, transparency report, records of processing, and the privacy officer's page."""
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from quietroom.audit import checkpoints
from quietroom.audit.log import Actor, record, verify
from quietroom.audit.models import AuditEvent
from quietroom.privacy import records, retention, transparency
from quietroom.recordings.models import Snippet

pytestmark = pytest.mark.django_db


def test_retention_shreds_old_snippets_and_prunes_checkpointed_audit_entries(ingested, settings):
    settings.QUIETROOM_RETENTION = {"RAW_RECORDING_DAYS": 1, "SNIPPET_DAYS": 1, "TRANSCRIPT_DAYS": 1, "AUDIT_DAYS": 1}
    old = timezone.now() - timedelta(days=3)
    Snippet.objects.update(created_at=old)
    checkpoints.write_checkpoint()
    signed = checkpoints.latest().size
    record(Actor.system(), "export")  # after the checkpoint: must survive untouched
    later = timezone.now() + timedelta(days=2)  # run as if two days from now
    done = retention.enforce(now=later)
    assert done["snippets"] == Snippet.objects.count() > 0
    assert all(s.wrapped_dek is None and s.shredded_at for s in Snippet.objects.all())
    assert done["audit_entries"] == signed
    assert AuditEvent.objects.filter(pruned_at__isnull=False).count() == signed
    assert AuditEvent.objects.get(seq=signed + 1).action == "export"
    result = verify()  # hashes kept: every checkpoint root still verifies
    assert result.ok, result
    checkpoints.write_checkpoint()
    assert verify().ok and verify().checkpoints_checked == 2


def test_pruning_outside_the_boundary_is_refused_by_the_database(ingested):
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            AuditEvent.objects.filter(seq=1).update(actor="", pruned_at=timezone.now())


def test_transparency_report_counts_and_renders(ingested, make_reviewer):
    reviewer = make_reviewer()
    actor = Actor.for_user(reviewer)
    snippet = Snippet.objects.first()
    record(actor, "transcript.submit", object_type="snippet", object_id=snippet.pk, customer=snippet.recording.customer_key.pseudonym)
    record(actor, "snippet.play", outcome="denied", details={"reasons": ["lease has expired"]})
    record(actor, "escalation.created", details={"category": "self_harm", "severity": "critical"})
    record(actor, "escalation.decision.proposed", details={"category": "self_harm", "proposed": "referral"})
    record(actor, "escalation.decision.confirmed",
           details={"category": "self_harm", "decision": "referred", "seconds_to_decision": 5400})
    now = timezone.now()
    report = transparency.build(now - timedelta(days=1), now + timedelta(minutes=1))
    assert report.customers_received == 2 and report.customers_reviewed == 1 and report.share_reviewed == 0.5
    assert report.reviewed_by_locale == {snippet.locale: 1} and report.reviewed_by_country == {"GB": 1}
    assert report.refusals["lease has expired"] == 1
    assert report.escalations == {("self_harm", "flagged"): 1, ("self_harm", "referred"): 1}
    assert report.decision_seconds == [5400.0]
    html = transparency.as_html(report)
    assert "<svg" in html and "<script" not in html and "style=" not in html
    csv_text = transparency.as_csv(report)
    assert "refused_accesses,lease has expired,1" in csv_text
    assert "escalations,median hours to decision,1.5" in csv_text


def test_records_of_processing_come_from_the_configuration(site, settings):
    data = records.build()["records_of_processing"]
    assert data[0]["controller"] == "Acme Voice"
    assert data[0]["sub_processors"][0]["name"] == "Vendor A" and data[0]["countries"] == ["GB"]
    assert data[0]["retention_days"] == dict(settings.QUIETROOM_RETENTION)


def test_only_a_privacy_officer_reaches_the_access_report_page(controller, make_reviewer):
    from quietroom.accounts.models import User

    reviewer_client = Client()
    reviewer_client.force_login(make_reviewer())
    assert reviewer_client.get("/privacy/access-report/").status_code == 403
    officer = User.objects.create(username="olivia", organisation=controller, role="privacy_officer", pseudonym="r_olivia")
    client = Client()
    client.force_login(officer)
    assert client.get("/privacy/access-report/").status_code == 200
    response = client.post("/privacy/access-report/", {"customer_id": "cust-0001", "format": "json"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    assert b'"access_count": 0' in response.content


def test_transparency_to_date_is_included_like_exports(ingested, tmp_path):
    """`privacy transparency --to DAY` covers that day, as `export --to` does (it used to end at
    the day's first second, so a report "to today" missed everything received today)."""
    from datetime import date

    from django.core.management import call_command

    today = date.today().isoformat()
    out = tmp_path / "t.csv"
    call_command("privacy", "transparency", "--from", today, "--to", today, "--format", "csv", "--out", str(out))
    assert "customers,with recordings received,2" in out.read_text().replace("\r", "")
