"""The access report lists exactly the logged accesses to a customer's snippets, with proofs
that verify offline; changing any line makes verification fail."""
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils.html import escape

import quietroom

from quietroom.audit import actions, checkpoints
from quietroom.audit.models import AuditEvent
from quietroom.privacy import access_report, offline, render
from quietroom.recordings.models import Snippet

pytestmark = pytest.mark.django_db


@pytest.fixture
def report_file(playing, controller, tmp_path):
    client, stream, snippet = playing
    client.get(stream, HTTP_RANGE="bytes=100-199")  # further bytes of the same page view's play
    out = tmp_path / "report.json"
    call_command("privacy", "access-report", "--controller", controller.name, "--customer-id",
                 snippet_customer_id(snippet), "--format", "json", "--out", str(out))
    return out, snippet


def snippet_customer_id(snippet):
    # The fixtures ingest cust-0001 -> rec0 and cust-0002 -> rec1.
    return {"r-1": "cust-0001", "r-2": "cust-0002"}[snippet.recording.external_id]


def test_report_lists_exactly_the_plays_in_the_log(report_file):
    path, snippet = report_file
    report = json.loads(path.read_text())
    own_snippets = {str(pk) for pk in Snippet.objects.filter(recording__customer_key=snippet.recording.customer_key).values_list("pk", flat=True)}
    logged = sorted(AuditEvent.objects.filter(action="snippet.play", object_id__in=own_snippets).values_list("seq", flat=True))
    listed = sorted(a["seq"] for a in report["accesses"] if a["action"] == "snippet.play")
    assert logged and listed == logged
    people = [a for a in report["accesses"] if a["role"] != "system"]
    assert people and all(a["reviewer"].startswith("r_") for a in people)
    dump = path.read_text()
    # No username and no real customer id (as words: a base64 signature may contain "rita").
    assert not re.search(r"(?<![A-Za-z0-9+/])rita(?![A-Za-z0-9+/=])", dump) and "cust-000" not in dump
    assert people[0]["vendor"] == "Vendor A" and people[0]["country"] == "GB"
    # The further request of the page view is listed under its play, not as a play of its own.
    streams = sorted(AuditEvent.objects.filter(action="snippet.stream", object_id__in=own_snippets).values_list("seq", flat=True))
    grouped = sorted(c["seq"] for a in report["accesses"] for c in a.get("continuations", []))
    assert streams and grouped == streams
    assert not [a for a in report["accesses"] if a["action"] == "snippet.stream"]


def test_report_verifies_offline_without_a_database(report_file, tmp_path):
    path, _ = report_file
    key = tmp_path / "key.pub"
    key.write_text(checkpoints.verifier().encode())
    # A separate interpreter with no Django settings at all (the code under test on its path,
    # not whichever quietroom the interpreter has installed).
    result = subprocess.run([sys.executable, "-m", "quietroom.privacy.offline", str(path), "--public-key", str(key)],
                            capture_output=True, text=True, timeout=60,
                            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(quietroom.__file__).parent.parent)})
    assert result.returncode == 0, result.stderr
    assert "report verified" in result.stdout and "signed finding: Recordings of this customer were received" in result.stdout
    call_command("privacy", "verify-report", str(path), "--public-key", str(key))


def _play(report):
    return next(a for a in report["accesses"] if a.get("continuations"))


TAMPERS = [
    lambda r: r["accesses"][-1].update(country="US"),
    lambda r: r["accesses"][-1].update(reviewer="r_someoneelse"),
    lambda r: r["accesses"][0].update(time="2020-01-01T00:00:00.000000+00:00"),
    lambda r: r["accesses"][-1].update(entry=r["accesses"][-1]["entry"].replace('"GB"', '"US"')),
    lambda r: r["accesses"][0]["proof"].reverse() if len(r["accesses"][0]["proof"]) > 1 else r["accesses"][0]["proof"].append("AAAA"),
    lambda r: (r["accesses"].pop(), r.update(access_count=r["access_count"] - 1)),
    lambda r: r.update(customer="c_" + "0" * 40),
    lambda r: r["checkpoint"].update(note=r["checkpoint"]["note"].replace("\n", "\n1", 1)),
    lambda r: r.update(controller="Someone Else"),
    lambda r: r.update(public_key="quietroom.local/audit+00000000+" + "A" * 44),
    lambda r: r.pop("version"),  # passed off as a version-1 report
    lambda r: r.update(version=1),
    # A further request of a play: changed, dropped, or passed off as a play of its own.
    lambda r: _play(r)["continuations"][0].update(country="US"),
    lambda r: _play(r)["continuations"].pop(),
    lambda r: (r["accesses"].append(_play(r)["continuations"].pop()), r.update(access_count=r["access_count"] + 1)),
    # What the report says about the customer's recordings.
    lambda r: r["recordings"].update(status="never_received"),
    lambda r: r.update(finding="No recording was ever received for this customer id under this controller."),
    lambda r: (r.pop("recordings"), r.pop("finding"), r.pop("version")),  # passed off as a version-1 report
]


def test_tampering_with_one_line_fails_verification(report_file):
    """One report, many single changes (one ingest: the fixture is the slow part)."""
    path, _ = report_file
    verifier = checkpoints.verifier()
    pristine = json.loads(path.read_text())
    assert offline.verify_report(pristine, verifier) == pristine["access_count"]
    for number, tamper in enumerate(TAMPERS):
        report = json.loads(path.read_text())
        tamper(report)
        with pytest.raises(offline.ReportInvalid):
            offline.verify_report(report, verifier)
            pytest.fail(f"tamper {number} went unnoticed")
    # Any single character of the JSON file changed: it either stops parsing or fails.
    text = path.read_text()
    for position in range(0, len(text), max(1, len(text) // 40)):
        changed = text[:position] + ("x" if text[position] != "x" else "y") + text[position + 1:]
        try:
            report = json.loads(changed)
        except ValueError:
            continue
        if report == pristine:
            continue
        with pytest.raises(offline.ReportInvalid):
            offline.verify_report(report, verifier)


def test_a_version_1_report_still_verifies(report_file):
    """Reports signed before version 2 (no "version" field) keep verifying: their signed body is unchanged."""
    report = json.loads(report_file[0].read_text())
    old = {key: value for key, value in report.items() if key not in ("version", "signature")}
    assert offline.report_digest_body(old).startswith("quietroom access report\n")
    old["signature"] = checkpoints.signer().sign(offline.report_digest_body(old))
    assert offline.verify_report(old, checkpoints.verifier()) == report["access_count"]


def test_a_report_signed_by_another_key_fails(report_file):
    from quietroom.audit import notes

    report = json.loads(report_file[0].read_text())
    with pytest.raises(offline.ReportInvalid):
        offline.verify_report(report, notes.Signer.generate(checkpoints.verifier().name).verifier)


def test_html_and_pdf_editions(playing, controller):
    _, _, snippet = playing
    from quietroom.audit.log import Actor

    report = access_report.build(controller, snippet_customer_id(snippet), Actor(name="cli"))
    html = render.as_html(report)
    assert "<script" not in html and "style=" not in html and report["customer"] in html
    plays = sum(1 for a in report["accesses"] if a["action"] == "snippet.play")
    assert plays and html.count("<td>Play") == plays  # worded as docs/audit.md words it
    assert "What each access means" in html and escape(actions.CONTENT_READS["snippet.play"].meaning) in html
    assert escape(report["finding"]) in html and "Received: recordings of this customer reached QuietRoom" in html
    pdf = render.as_pdf(report)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1000
    assert AuditEvent.objects.filter(action="privacy.access_report", customer=report["customer"]).exists()
