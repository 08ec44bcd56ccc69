"""A reviewer's flag withdraws the snippet from everyone at once; escalation staff decide under
four eyes; a legal hold keeps its snippet from retention and erasure until it is released."""
from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from quietroom.audit.log import verify
from quietroom.audit.models import AuditEvent
from quietroom.escalation import cases, holds
from quietroom.escalation.models import Case, LegalHold, Proposal
from quietroom.recordings.models import Snippet
from quietroom.review.models import Submission, Task

from .conftest import client_for, next_for

pytestmark = pytest.mark.django_db


def test_flag_withdraws_from_every_queue_and_lease_at_once(flagged, make_reviewer):
    case, client_b = flagged["case"], flagged["client_b"]
    # B was mid-play: the next range request is refused by the policy, and audited.
    assert client_b.get(flagged["stream_b"], HTTP_RANGE="bytes=100-199").status_code == 403
    denied = AuditEvent.objects.filter(action="snippet.play", outcome="denied", actor="bob").last()
    assert "snippet was withdrawn from review" in denied.details["reasons"]
    assert Task.objects.get(pk=flagged["task_b"].pk).status == "withdrawn"
    # B cannot save a draft or submit for it either.
    assert client_b.post(f"/room/task/{flagged['task_b'].pk}/draft/", {"transcript": "x"}).status_code in (404, 409)
    # Never assigned again: not to a newcomer, not as a fresh overlap slot.
    assert next_for(make_reviewer("carla")) is None
    assert case.category == "violence_abuse" and case.severity == "high" and case.status == "open"
    assert case.deadline_at > case.reported_at
    created = AuditEvent.objects.get(action="escalation.created")
    assert created.details["category"] == "violence_abuse" and created.details["withdrawn_tasks"] == 1


def test_note_is_sealed_and_only_escalation_staff_read_it(flagged, make_officer):
    case = Case.objects.get()
    assert case.note_ciphertext is not None
    assert flagged["note"].encode() not in bytes(case.note_ciphertext)
    officer = make_officer()
    page = client_for(officer).get(f"/escalation/case/{case.pk}/").content.decode()
    assert flagged["note"] in page
    assert AuditEvent.objects.filter(action="escalation_note.read", outcome="ok", actor="olivia",
                                     purpose="escalation review").count() == 1


def test_on_call_staff_get_an_email_with_a_link_and_no_content(controller, make_officer, make_reviewer, reviewer_client,
                                                               django_capture_on_commit_callbacks):
    from quietroom.escalation.notify import set_on_call
    from tests.review.factories import make_snippets

    from .conftest import open_task

    on_call, off_duty = make_officer("olivia"), make_officer("omar")
    set_on_call(on_call, True)
    make_snippets(controller, 1, hypothesis="hello")
    client = reviewer_client(make_reviewer("rita"))
    task, _, key, _ = open_task(client)
    secret = "the caller said her name was Jane Smith"
    with django_capture_on_commit_callbacks(execute=True):  # the notice goes out when the flag commits
        client.post(f"/room/task/{task.pk}/", {"transcript": "x", "idempotency_key": key, "sensitive": "child_safety",
                                               "sensitive_note": secret})
    case = Case.objects.get()
    (message,) = mail.outbox
    assert message.to == ["olivia@acme.example"]  # on call only
    assert f"https://quietroom.example/escalation/case/{case.pk}/" in message.body
    text = message.subject + message.body
    for leaked in (secret, "Jane", case.customer_pseudonym, "Child", "child", "rita"):
        assert leaked not in text
    assert case.severity == "critical"


def test_legal_hold_needs_a_second_officer_and_keeps_the_snippet_from_retention_and_erasure(
        flagged, make_officer, controller, settings, django_capture_on_commit_callbacks):
    from quietroom.audit.log import Actor
    from quietroom.privacy import retention
    from quietroom.privacy.erasure import erase_pseudonym

    case = flagged["case"]
    first, second = make_officer("olivia"), make_officer("oscar")
    proposal = cases.propose(first, case, "legal_hold", "police request ref 123 expected")
    assert Case.objects.get().status == "awaiting_confirmation" and not LegalHold.objects.exists()
    with pytest.raises(cases.DecisionRefused, match="four eyes"):
        cases.confirm(first, proposal)
    assert AuditEvent.objects.filter(action="escalation.decision.confirmed", outcome="denied", actor="olivia").exists()
    cases.confirm(second, proposal)
    hold = LegalHold.objects.get()
    assert (hold.proposed_by, hold.confirmed_by, hold.snippet_id) == (first, second, case.snippet_id)
    assert Case.objects.get().status == "held"

    # Retention: snippets older than the period are shredded, except the held one.
    settings.QUIETROOM_RETENTION = {**settings.QUIETROOM_RETENTION, "SNIPPET_DAYS": 1}
    Snippet.objects.update(created_at=timezone.now() - timezone.timedelta(days=30))
    retention.enforce()
    assert Snippet.objects.get(pk=case.snippet_id).shredded_at is None

    # Erasure: everything else of the customer goes; the held snippet stays, and the erasure
    # names the case that holds it.
    officer_actor = Actor.for_user(first)
    erasure = erase_pseudonym(controller, case.customer_pseudonym, officer_actor)
    assert erasure.step == "held" and [e["case_id"] for e in erasure.held] == [str(case.pk)]
    assert Snippet.objects.filter(pk=case.snippet_id).exists()

    with pytest.raises(cases.DecisionRefused, match="reason"):
        cases.release_hold(second, hold, "   ")
    with django_capture_on_commit_callbacks(execute=True):  # the waiting erasure finishes after the commit
        cases.release_hold(second, hold, "police confirmed no further need")
    assert holds.active_holds_for_customer(case.customer_pseudonym).count() == 0
    erasure.refresh_from_db()
    assert erasure.step == "done" and not Snippet.objects.filter(pk=case.snippet_id).exists()
    # The case survives the erasure of its snippet: its record and timeline stay.
    case = Case.objects.get()
    assert case.snippet_id is None and case.decision == "legal_hold" and case.status == "closed"
    actions = [e.action for e in AuditEvent.objects.filter(object_type="escalation_case").order_by("seq")]
    for expected in ("escalation.created", "escalation.decision.proposed", "escalation.decision.confirmed",
                     "escalation.hold.placed", "escalation.hold.released"):
        assert expected in actions
    confirmed = AuditEvent.objects.get(action="escalation.decision.confirmed", outcome="ok")
    assert confirmed.details["decision"] == "legal_hold" and confirmed.details["seconds_to_decision"] >= 0
    assert verify().ok


def test_a_proposed_hold_keeps_the_snippet_from_retention_while_the_second_officer_decides(
        flagged, make_officer, settings):
    from quietroom.privacy import retention

    case = flagged["case"]
    cases.propose(make_officer(), case, "legal_hold", "police request expected")
    settings.QUIETROOM_RETENTION = {**settings.QUIETROOM_RETENTION, "SNIPPET_DAYS": 1, "TRANSCRIPT_DAYS": 1}
    long_ago = timezone.now() - timezone.timedelta(days=30)
    Snippet.objects.update(created_at=long_ago)
    Submission.objects.update(submitted_at=long_ago)
    retention.enforce()
    assert Snippet.objects.get(pk=case.snippet_id).shredded_at is None
    assert Submission.objects.filter(task__snippet_id=case.snippet_id).exclude(transcript_ciphertext=None).exists()


def test_no_action_deletes_the_audio_every_transcript_and_the_note(flagged, make_officer):
    case = flagged["case"]
    officer = make_officer()
    with pytest.raises(cases.DecisionRefused, match="needs a reason"):
        cases.propose(officer, case, "no_action", "")
    cases.propose(officer, case, "no_action", "background noise from a film, no risk")  # no second person needed
    case.refresh_from_db()
    assert case.status == "closed" and case.decision == "no_action" and case.note_ciphertext is None
    snippet = Snippet.objects.get(pk=case.snippet_id)
    assert snippet.shredded_at is not None and snippet.wrapped_dek is None
    assert Submission.objects.filter(task__snippet=snippet).exclude(transcript_ciphertext=None).count() == 0
    assert client_for(officer).get(f"/escalation/case/{case.pk}/audio").status_code in (403, 410)
    confirmed = AuditEvent.objects.get(action="escalation.decision.confirmed")
    assert confirmed.details["decision"] == "no_action" and confirmed.details["four_eyes"] is False


def test_referral_records_who_when_to_whom_and_needs_a_second_person(flagged, make_officer):
    case = flagged["case"]
    first, second = make_officer("olivia"), make_officer("oscar")
    with pytest.raises(cases.DecisionRefused, match="to whom"):
        cases.propose(first, case, "referral", "risk to a child", referred_to="")
    proposal = cases.propose(first, case, "referral", "risk to a child", referred_to="Local safeguarding team",
                             policy_reference="Escalation policy v3 §4.2")
    with pytest.raises(cases.DecisionRefused):
        cases.propose(second, case, "no_action", "changed my mind")  # one pending decision at a time
    cases.reject(second, proposal, "not enough to refer yet")
    assert Case.objects.get().status == "open"
    proposal = cases.propose(second, case, "referral", "second listen confirms risk",
                             referred_to="Local safeguarding team", policy_reference="Escalation policy v3 §4.2")
    cases.confirm(first, proposal)
    proposal = Proposal.objects.get(pk=proposal.pk)
    assert (proposal.proposed_by, proposal.resolved_by, proposal.state) == (second, first, "confirmed")
    assert proposal.resolved_at is not None
    referred = AuditEvent.objects.get(action="escalation.referred")
    assert referred.details["to"] == "Local safeguarding team"
    assert Case.objects.get().status == "closed"


def test_four_eyes_is_also_a_database_rule(flagged, make_officer):
    from django.db import IntegrityError, transaction

    officer = make_officer()
    proposal = cases.propose(officer, flagged["case"], "legal_hold", "keep it")
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.filter(pk=proposal.pk).update(state="confirmed", resolved_by=officer)


def test_a_note_without_a_category_or_too_long_is_refused_and_nothing_is_flagged(controller, make_reviewer):
    from quietroom.review.submissions import SubmissionRefused, submit
    from tests.review.factories import make_snippets

    (task,) = [t for t in make_snippets(controller, 1) if t.slot == 0]
    user = make_reviewer()
    assert next_for(user).snippet_id == task.snippet_id
    leased = Task.objects.get(lease_owner=user)
    with pytest.raises(SubmissionRefused, match="needs a sensitive-content category"):
        submit(user, leased.pk, "x", "k1", now=timezone.now(), sensitive_note="something awful")
    with pytest.raises(SubmissionRefused, match="longer than 2000"):
        submit(user, leased.pk, "x", "k2", now=timezone.now(), labels={"sensitive": "crime"},
               sensitive_note="x" * 2001)
    assert not Case.objects.exists() and not Submission.objects.exists()
    assert Task.objects.get(pk=leased.pk).status == "leased"


def test_transparency_report_counts_each_confirmed_decision_once(flagged, make_officer):
    from datetime import timedelta

    from quietroom.privacy import transparency

    first, second = make_officer("olivia"), make_officer("oscar")
    proposal = cases.propose(first, flagged["case"], "legal_hold", "keep")
    with pytest.raises(cases.DecisionRefused):
        cases.confirm(first, proposal)
    cases.confirm(second, proposal)
    cases.release_hold(second, LegalHold.objects.get(), "done")
    now = timezone.now()
    report = transparency.build(now - timedelta(hours=1), now + timedelta(hours=1))
    assert report.escalations[("violence_abuse", "legal_hold")] == 1
    decided = AuditEvent.objects.filter(action__startswith="escalation.", details__has_key="decision")
    assert list(decided.values_list("action", flat=True)) == ["escalation.decision.confirmed"]
