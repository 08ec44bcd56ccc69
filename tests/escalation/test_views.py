"""The officers' pages over HTTP: queue, case, decisions with four eyes, and the timeline
page, which is built from the audit log."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import quietroom

from quietroom.audit.models import AuditEvent
from quietroom.escalation.models import Case, LegalHold

from .conftest import client_for

pytestmark = pytest.mark.django_db


def test_hold_through_the_pages_and_the_timeline_matches_the_log(flagged, make_officer):
    case = flagged["case"]
    first, second = client_for(make_officer("olivia")), client_for(make_officer("oscar"))
    queue_page = first.get("/escalation/").content.decode()
    assert f"/escalation/case/{case.pk}/" in queue_page and "Possible violence or abuse" in queue_page
    page = first.get(f"/escalation/case/{case.pk}/").content.decode()
    # The audio link names this page view (one view, one play: docs/audit.md).
    assert f'src="/escalation/case/{case.pk}/audio?view=' in page and "<script>" not in page and " style=" not in page

    response = first.post(f"/escalation/case/{case.pk}/propose/", {"decision": "legal_hold", "reason": ""}, follow=True)
    assert b"needs a reason" in response.content and Case.objects.get().status == "open"
    first.post(f"/escalation/case/{case.pk}/propose/", {"decision": "legal_hold", "reason": "police enquiry"})
    page = first.get(f"/escalation/case/{case.pk}/").content.decode()
    assert "another officer must confirm it" in page and 'id="confirm"' not in page  # not offered to the proposer
    proposal_id = re.search(r'/escalation/proposal/(\d+)/confirm/', second.get(f"/escalation/case/{case.pk}/")
                            .content.decode()).group(1)
    # ... and refused by the server if posted anyway.
    response = first.post(f"/escalation/proposal/{proposal_id}/confirm/", follow=True)
    assert b"four eyes" in response.content and not LegalHold.objects.exists()
    second.post(f"/escalation/proposal/{proposal_id}/confirm/")
    hold = LegalHold.objects.get()
    assert Case.objects.get().status == "held"
    second.post(f"/escalation/hold/{hold.pk}/release/", {"reason": "enquiry closed"})
    assert LegalHold.objects.get().released_at is not None

    timeline = first.get(f"/escalation/case/{case.pk}/timeline/").content.decode()
    rows = re.findall(r'<tr class="timeline-entry" data-action="([^"]+)">\s*<td>(\d+)</td>', timeline)
    logged = list(AuditEvent.objects.filter(object_type="escalation_case", object_id=str(case.pk))
                  .values_list("action", "seq")) + list(
        AuditEvent.objects.filter(object_type="snippet", object_id=str(case.snippet_ref)).values_list("action", "seq"))
    assert sorted((a, int(s)) for a, s in rows) == sorted(logged)
    actions = [a for a, _ in rows]
    for expected in ("task.assign", "snippet.play", "escalation.created", "escalation.decision.proposed",
                     "escalation.decision.confirmed", "escalation.hold.placed", "escalation.hold.released",
                     "escalation_case.view"):
        assert expected in actions, expected
    assert flagged["note"] not in timeline  # the timeline never carries content


def test_the_timeline_reads_as_text_and_its_table_scrolls_in_its_box(flagged, make_officer):
    import html

    case = flagged["case"]
    first, second = client_for(make_officer("olivia")), client_for(make_officer("oscar"))
    first.post(f"/escalation/case/{case.pk}/propose/", {"decision": "legal_hold", "reason": "police enquiry"})
    proposal_id = re.search(r'/escalation/proposal/(\d+)/confirm/',
                            second.get(f"/escalation/case/{case.pk}/").content.decode()).group(1)
    first.post(f"/escalation/proposal/{proposal_id}/confirm/")  # refused: four eyes (a list of reasons)
    second.post(f"/escalation/proposal/{proposal_id}/confirm/")
    assert AuditEvent.objects.filter(outcome="denied", details__reasons__isnull=False).exists()

    page = first.get(f"/escalation/case/{case.pk}/timeline/").content.decode()
    details = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell))
                       for cell in re.findall(r'<td class="details">(.*?)</td>', page, flags=re.S))
    # No Python repr of a list, a dict or a boolean; keys read as words.
    for repr_mark in ("['", '["', "{'", "True", "False", "None", "_"):
        assert repr_mark not in details, (repr_mark, details)
    assert "Reasons: four eyes: the person who proposed a legal hold or referral cannot confirm it" in details
    assert "Confirmed by another officer: yes" in details
    assert "Category: Possible violence or abuse" in details
    assert re.search(r'<div class="table-scroll">\s*<table class="esc-table" id="timeline">', page)
    css = (Path(quietroom.__file__).parent / "static" / "quietroom" / "escalation.css").read_text()
    assert ".table-scroll { overflow-x: auto;" in css
