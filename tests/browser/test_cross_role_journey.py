"""Issue 15: every promise across the whole flow, walked by the real roles in Chromium.

Ingest two customers' recordings (one to be flagged, one that sounds like an emergency and is
cut into several snippets) → reviewer A at a site in Leeds flags the first → reviewer B at a
site in Dublin is warned, skips "I do not want to hear this", and is given nothing else of that
recording → the privacy officer finds the case in her notices and proposes a legal hold → the
controller erases the flagged customer (the held snippet survives, the erasure says why) → an
export leaves the flagged snippet out and says so → the access report lists the plays once
each, and tells a mistyped id from a customer nobody heard → `audit verify` passes.
"""
import io
import json
import re

import numpy as np
import pytest
from django.core import mail
from django.core.management import call_command

from quietroom import testspeech
from quietroom.audit.models import AuditEvent
from quietroom.escalation.models import Case, Flag
from quietroom.privacy.models import ErasureRequest
from quietroom.recordings.models import Recording, Snippet
from quietroom.review.models import Skip, Task
from tests.browser.test_escalation_flow import make_officer, sign_in
from tests.conftest import manifest_row, write_manifest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RATE = 16000
PAUSE = np.zeros(int(1.5 * RATE), dtype=np.float32)


def spoken(*sentences) -> np.ndarray:
    """Real synthesised speech (flite), the sentences apart by pauses the segmenter cuts at."""
    parts = []
    for sentence in sentences:
        parts += [testspeech.synthesize_flite(sentence), PAUSE]
    return np.concatenate(parts)


def test_every_promise_holds_across_the_roles(live_server, browser, controller, vendor, site, make_reviewer,
                                               tmp_path, settings):
    from quietroom.accounts.models import Site
    from quietroom.recordings.ingest import ingest_manifest

    settings.QUIETROOM = {**settings.QUIETROOM, "REVIEW_GOLD_RATE": 0.0, "REVIEW_OVERLAP_FRACTION": 0.0}
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    vendor.approved_countries = ["GB", "IE"]
    vendor.save(update_fields=["approved_countries"])
    dublin = Site.objects.create(organisation=vendor, name="Dublin", country="IE", networks=["127.0.0.0/8", "::1/128"])

    # --- ingestion: two customers --------------------------------------------------------------
    audio = tmp_path / "audio"
    audio.mkdir()
    testspeech.write_audio(audio / "flag.wav", spoken("turn on the lights in the kitchen please"), RATE, "wav")
    testspeech.write_audio(audio / "warned.wav", spoken(
        "please call an ambulance he is not breathing", "the front door is open and the stairs are on the left",
        "we are in the room at the top of the stairs"), RATE, "wav")
    manifest = write_manifest(audio, [manifest_row("rec-flag", "flag.wav", customer="cust-flag"),
                                      manifest_row("rec-warned", "warned.wav", customer="cust-warned")])
    report = ingest_manifest(manifest, audio, controller)
    assert report.count("accepted") == 2, report.lines()
    flagged_rec = Recording.objects.get(external_id="rec-flag")
    warned_rec = Recording.objects.get(external_id="rec-warned")
    assert Snippet.objects.filter(recording=warned_rec).count() >= 2, "the warned recording must have siblings"
    Task.objects.filter(recording=flagged_rec).update(priority=10)  # reviewer A gets it first

    rita = make_reviewer("rita")
    bob = make_reviewer("bob")
    bob.site = dublin
    bob.save(update_fields=["site"])
    olivia = make_officer(controller, "olivia")
    contexts = [browser.new_context(viewport={"width": 1280, "height": 800}) for _ in range(3)]
    page_a, page_b, page_o = (c.new_page() for c in contexts)
    try:
        # --- reviewer A (Leeds) flags the first recording's snippet ---------------------------------
        sign_in(page_a, live_server, rita)
        page_a.click("#next")
        page_a.wait_for_selector("#player", state="attached")
        page_a.wait_for_function("() => document.getElementById('player').readyState >= 1", timeout=15000)
        page_a.select_option("#sensitive", "violence_abuse")
        page_a.fill("#sensitive-note", "a voice in the background shouts for help")
        page_a.click("#submit")
        page_a.wait_for_selector("text=Flagged for the controller's escalation team")  # not "Saved" like any submit
        flag = Flag.objects.get()
        case = Case.objects.get(flag=flag)
        assert flag.snippet.recording_id == flagged_rec.pk and flag.reviewer == rita

        # --- reviewer B (Dublin) is warned, skips, and gets nothing else of that recording ----------
        sign_in(page_b, live_server, bob)
        page_b.click("#next")
        page_b.wait_for_selector("#skip-reason")
        bob_task = Task.objects.get(lease_owner=bob)
        assert bob_task.recording_id == warned_rec.pk
        assert page_b.locator("#content-warning").count() == 1, "the warning of one snippet covers its siblings"
        # Transcript and waveform stay veiled, and "I do not want to hear this" is the skip offered.
        assert page_b.locator("#transcript[data-care-veiled]").count() == 1
        assert page_b.locator(".wave-box[data-care-veiled]").count() == 1
        assert page_b.eval_on_selector("#skip-reason", "s => s.value") == "uncomfortable"
        page_b.click("#skip-button")
        page_b.wait_for_load_state()
        assert Skip.objects.filter(reviewer=bob, reason="uncomfortable").count() == 1
        page_b.goto(live_server.url + "/room/")
        page_b.click("#next")
        page_b.wait_for_load_state()
        assert not Task.objects.filter(lease_owner=bob, status="leased").exists(), \
            "a distress skip excludes the whole recording for that reviewer"

        # --- the privacy officer: notice, menu, case, a proposed legal hold --------------------------
        assert any(olivia.email in m.to for m in mail.outbox) and all("shouts" not in m.body for m in mail.outbox)
        sign_in(page_o, live_server, olivia, landing="#home-cards")
        page_o.goto(live_server.url + "/accounts/notices/")
        assert f"/escalation/case/{case.pk}/" in page_o.inner_text("#notices")
        page_o.click("nav >> text=Escalations")
        page_o.click(f"tr[data-case='{case.pk}'] a")
        page_o.wait_for_selector("#case-category")
        assert page_o.locator("input[name=decision]:checked").count() == 0  # nothing pre-selected
        page_o.check("#decision-legal_hold")
        page_o.fill("#reason", "possible assault; preserve until the police say otherwise")
        page_o.click("#propose")
        page_o.wait_for_selector("#pending")

        # --- the controller erases the flagged customer: everything but the held snippet goes --------
        out = io.StringIO()
        call_command("privacy", "erase", "--controller", controller.name, "--customer-id", "cust-flag", "--yes", stdout=out)
        assert str(case.pk) in out.getvalue()
        erasure = ErasureRequest.objects.get()
        assert erasure.step == "held" and erasure.held and erasure.held[0]["case_id"] == str(case.pk)
        audio_status = page_o.evaluate(
            "async (u) => (await fetch(u, {credentials: 'same-origin'})).status",
            live_server.url + f"/escalation/case/{case.pk}/audio")
        assert audio_status in (200, 206), "the held snippet stays audible to escalation staff"

        # --- exports: nothing flagged, held, withdrawn or erased leaves; the count says so ----------
        export_file = tmp_path / "export.jsonl"
        err = io.StringIO()
        call_command("export", "--format", "jsonl", "--out", str(export_file), stdout=io.StringIO(), stderr=err)
        exported = export_file.read_text() if export_file.exists() else ""
        assert str(flag.snippet_id) not in exported and "violence_abuse" not in exported
        held_back = re.search(r"held back: (.*)$", err.getvalue().strip()).group(1)
        assert sum(int(n) for n in re.findall(r"\d+", held_back)) >= 1, held_back  # counted, never named

        # --- access reports: plays once each; a typo is not "nobody heard" ----------------------------
        report_file = tmp_path / "report.json"
        call_command("privacy", "access-report", "--controller", controller.name, "--customer-id", "cust-warned",
                     "--format", "json", "--out", str(report_file))
        warned_report = json.loads(report_file.read_text())
        assert warned_report["recordings"]["status"] == "received"
        plays = [a for a in warned_report["accesses"] if a.get("action") == "snippet.play"]
        assert len(plays) == AuditEvent.objects.filter(action="snippet.play", outcome="ok",
                                                       customer=warned_report["customer"]).count()
        call_command("privacy", "access-report", "--controller", controller.name, "--customer-id", "cust-flag",
                     "--format", "json", "--out", str(report_file))
        flag_report = json.loads(report_file.read_text())
        assert flag_report["recordings"]["status"] == "erased"
        rita_plays = [a for a in flag_report["accesses"] if a["action"] == "snippet.play" and a["outcome"] == "ok"
                      and a["reviewer"] == rita.pseudonym]
        assert len(rita_plays) == 1, "one page view is one play, however many range requests the player made"
        call_command("privacy", "access-report", "--controller", controller.name, "--customer-id", "cust-warnde",
                     "--format", "json", "--out", str(report_file))
        typo = json.loads(report_file.read_text())
        assert typo["recordings"]["status"] == "never_received" and typo["finding"] != warned_report["finding"]

        # --- the log holds it all together -----------------------------------------------------------
        call_command("audit", "verify", stdout=io.StringIO())
    finally:
        for context in contexts:
            context.close()
