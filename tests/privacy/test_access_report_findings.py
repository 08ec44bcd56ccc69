"""An empty access report must not mislead: it says whether any recording of the id was ever
received (a mistyped id), or received and nobody reached it, or received and later erased; in
the JSON (signed), the HTML and PDF editions and on the privacy officer's page."""
import pytest
from django.test import Client
from django.utils.html import escape

from quietroom.audit import checkpoints
from quietroom.audit.log import Actor
from quietroom.privacy import access_report, offline, render
from quietroom.privacy.erasure import erase_customer

pytestmark = pytest.mark.django_db

OFFICER = Actor(name="dpo", role="privacy_officer", organisation="Acme Voice")


def build(controller, customer_id):
    report = access_report.build(controller, customer_id, OFFICER)
    assert offline.verify_report(report, checkpoints.verifier()) == report["access_count"]
    return report


def test_a_never_received_id_is_told_apart_from_a_customer_nobody_heard(ingested, controller):
    mistyped = build(controller, "cust-00001")  # cust-0001 with one zero too many
    unheard = build(controller, "cust-0002")    # ingested, no snippet of theirs played yet
    assert mistyped["access_count"] == 0
    assert mistyped["recordings"] == {"status": "never_received", "erased_at": None}
    assert unheard["recordings"] == {"status": "received", "erased_at": None}
    assert "No recording was ever received" in mistyped["finding"] and "Check the id" in mistyped["finding"]
    assert "no person has heard or read them" in unheard["finding"]
    # The pipeline's own read of the raw recording is listed, and said to be no person's.
    assert unheard["access_count"] and {a["role"] for a in unheard["accesses"]} == {"system"}

    never_html, unheard_html = render.as_html(mistyped), render.as_html(unheard)
    assert "Never received: no recording of this customer id reached QuietRoom" in never_html
    assert escape(mistyped["finding"]) in never_html and escape(unheard["finding"]) not in never_html
    assert "Received: recordings of this customer reached QuietRoom" in unheard_html
    assert render.as_pdf(mistyped) != render.as_pdf(unheard)


def test_the_same_id_under_another_controller_was_never_received(ingested, controller):
    from quietroom.accounts.models import Organisation

    other = Organisation.objects.create(name="Other Voice", kind="controller")
    assert build(other, "cust-0001")["recordings"]["status"] == "never_received"


def test_an_erased_customer_is_reported_received_and_erased(playing, controller):
    before = build(controller, "cust-0001")
    assert before["recordings"]["status"] == "received"
    erase_customer(controller, "cust-0001", OFFICER)
    after = build(controller, "cust-0001")
    assert after["recordings"]["status"] == "erased" and after["recordings"]["erased_at"]
    assert "received and later erased" in after["finding"]
    # The reviewer's play (and hypothesis view) before the erasure are still listed.
    assert after["finding"].endswith("2 of them by people.")
    assert [a["seq"] for a in after["accesses"]] == [a["seq"] for a in before["accesses"]]
    assert "Received, later erased" in render.as_html(after)


def test_an_erased_customer_nobody_heard_is_not_reported_as_never_received(ingested, controller):
    erase_customer(controller, "cust-0002", OFFICER)
    report = build(controller, "cust-0002")
    assert report["recordings"]["status"] == "erased"
    assert "no person heard or read them" in report["finding"]


def test_erasing_a_mistyped_id_does_not_make_it_received(ingested, controller):
    erase_customer(controller, "cust-9999", OFFICER)
    assert build(controller, "cust-9999")["recordings"]["status"] == "never_received"


def test_tampering_with_what_the_report_says_about_recordings_fails_verification(ingested, controller):
    report = build(controller, "cust-00001")
    for change in (
        lambda r: r["recordings"].update(status="received"),
        lambda r: r["recordings"].update(erased_at="2026-01-01T00:00:00+00:00"),
        lambda r: r.update(finding="Recordings of this customer were received; no access to them is recorded."),
        lambda r: r.update(recordings={"status": "bogus", "erased_at": None}),
        lambda r: (r.pop("recordings"), r.pop("finding"), r.pop("version")),
        lambda r: r.update(version=1),
    ):
        tampered = {**report, "recordings": dict(report["recordings"])}
        change(tampered)
        with pytest.raises(offline.ReportInvalid):
            offline.verify_report(tampered, checkpoints.verifier())


def test_the_officers_page_shows_the_answer(ingested, controller):
    from quietroom.accounts.models import User

    officer = User.objects.create(username="olivia", organisation=controller, role="privacy_officer",
                                  pseudonym="r_olivia")
    client = Client()
    client.force_login(officer)
    mistyped = client.post("/privacy/access-report/", {"customer_id": "cust-00001", "format": "page"})
    page = mistyped.content.decode()
    assert mistyped.status_code == 200 and "no-store" in mistyped["Cache-Control"]
    assert "Never received" in page and "No recording was ever received for this customer id" in page
    assert 'role="alert"' in page and 'value="cust-00001"' in page  # shown so the officer can correct it
    unheard = client.post("/privacy/access-report/", {"customer_id": "cust-0002", "format": "page"}).content.decode()
    assert "Recordings of this customer were received" in unheard and "Never received" not in unheard
    download = client.post("/privacy/access-report/", {"customer_id": "cust-00001", "format": "pdf"})
    assert download["Content-Type"] == "application/pdf" and "attachment" in download["Content-Disposition"]
