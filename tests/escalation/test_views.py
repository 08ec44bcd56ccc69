"""The officers' pages over HTTP: queue, case, decisions with four eyes, and the timeline
page, which is built from the audit log."""
from __future__ import annotations

import re

import pytest

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
