"""The life of an escalation case: opened by a reviewer's flag, decided by escalation staff.

- `open_case` runs inside the room's submission transaction: the snippet leaves every queue
  and every live lease (other reviewers' tasks are withdrawn, so the gate refuses their next
  range request), the optional note is sealed, on-call staff are e-mailed after commit.
- `propose` records a decision with its reason. "No action" takes effect at once (the snippet
  and every transcript of it are crypto-shredded). A legal hold or a referral waits for a
  second officer: `confirm` refuses the proposer (four eyes; a database constraint too).
- `release_hold` ends a hold (reason and person recorded); retention and erasure then apply.
  Releasing a hold, or turning down a proposed one, announces `holds.hold_ended` after commit:
  an erasure that kept the snippet for the hold then finishes (privacy listens).

Every step writes an audit event (`escalation.*`, details always carry the category; only
`escalation.decision.confirmed` carries `decision` and `seconds_to_decision`, so a report that
counts decisions counts each once) — the case timeline and the transparency report read them.
"""
from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from quietroom import content
from quietroom.audit.log import Actor, record
from quietroom.review.models import Draft, Submission, Task

from . import categories, holds
from .access import refusal_reasons
from .models import Case, LegalHold, Proposal

MAX_NOTE_CHARS = 2000
MAX_REASON_CHARS = 4000
FOUR_EYES = (Case.Decision.LEGAL_HOLD, Case.Decision.REFERRAL)


class DecisionRefused(Exception):
    def __init__(self, reasons):
        self.reasons = tuple(reasons)
        super().__init__("; ".join(self.reasons))


def _knob(name):
    return settings.QUIETROOM.get(name)


def _audit(actor, action, case, *, outcome="ok", **details):
    return record(actor, action, outcome=outcome, object_type="escalation_case", object_id=case.id,
                  customer=case.customer_pseudonym, purpose="escalation",
                  details={"category": case.category, **details})


def note_problems(note: str) -> list[str]:
    if len(note or "") > MAX_NOTE_CHARS:
        return [f"sensitive-content note longer than {MAX_NOTE_CHARS} characters"]
    return []


def open_case(flag, task: Task, actor: Actor, *, note: str = "", now=None) -> Case:
    """Called by review.submissions inside the submit transaction (task row locked)."""
    now = now or timezone.now()
    problems = note_problems(note)
    if problems:
        raise DecisionRefused(problems)
    snippet = task.snippet
    customer_key = snippet.recording.customer_key
    # Out of every queue and every lease at once; the flagging reviewer's own task is done.
    withdrawn = (Task.objects.filter(snippet_id=snippet.pk, status__in=[Task.Status.QUEUED, Task.Status.LEASED])
                 .exclude(pk=task.pk)
                 .update(status=Task.Status.WITHDRAWN, withdrawn_reason="sensitive content", lease_expires_at=None))
    severity = categories.severity_of(flag.category)
    case = Case(controller_id=snippet.recording.controller_id, snippet=snippet, snippet_ref=snippet.pk, flag=flag,
                customer_pseudonym=customer_key.pseudonym, category=flag.category, severity=severity,
                reported_by_id=flag.reviewer_id, reported_at=now,
                deadline_at=categories.deadline_for(severity, now, _knob("ESCALATION_DEADLINE_HOURS")))
    if note.strip():
        content.seal_escalation_note(case, customer_key, note.strip())
    case.save(force_insert=True)
    _audit(actor, "escalation.created", case, severity=severity, snippet=str(snippet.pk), withdrawn_tasks=withdrawn,
           note=case.has_note)
    case_id = case.pk
    transaction.on_commit(lambda: _notify_arrival(case_id))
    return case


def _notify_arrival(case_id) -> None:
    from .notify import case_arrived

    case_arrived(case_id)


def _clean_reason(reason: str, what: str = "decision") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DecisionRefused([f"every {what} needs a reason"])
    if len(reason) > MAX_REASON_CHARS:
        raise DecisionRefused([f"reason longer than {MAX_REASON_CHARS} characters"])
    return reason


def _locked_case(case_id) -> Case:
    return Case.objects.select_for_update().get(pk=case_id)


def _check_staff(user, case, actor, action) -> None:
    reasons = refusal_reasons(user, case)
    if reasons:
        _audit(actor, action, case, outcome="denied", reasons=reasons)
        raise DecisionRefused(reasons)


def _seconds(case, now) -> int:
    return int((now - case.reported_at).total_seconds())


def _choices() -> str:
    return "; ".join(f"{label} ({value})" for value, label in Case.Decision.choices)


def propose(user, case: Case, decision: str, reason: str, *, referred_to: str = "", policy_reference: str = "",
            address: str = "", now=None) -> Proposal:
    now = now or timezone.now()
    actor = Actor.for_user(user, address)
    if not decision:
        # Nothing is pre-selected on the case page: deleting the snippet is never a default.
        raise DecisionRefused([f"Choose a decision: {_choices()}"])
    if decision not in Case.Decision.values:
        raise DecisionRefused([f"{decision!r} is not a decision; choose one of: {_choices()}"])
    _check_staff(user, case, actor, "escalation.decision.proposed")
    reason = _clean_reason(reason)
    referred_to, policy_reference = referred_to.strip()[:200], policy_reference.strip()[:200]
    if decision == Case.Decision.REFERRAL and not (referred_to and policy_reference):
        raise DecisionRefused(["a referral names to whom, and the clause of the written policy that allows it"])
    with transaction.atomic():
        case = _locked_case(case.pk)
        if not case.is_open:
            raise DecisionRefused(["case is already decided"])
        if case.proposals.filter(state=Proposal.State.PENDING).exists():
            raise DecisionRefused(["a decision is already waiting for confirmation"])
        if decision == Case.Decision.NO_ACTION:
            from .holds import active_holds_for_snippet

            if case.snippet_id and active_holds_for_snippet(case.snippet_id):
                raise DecisionRefused(["the snippet is under a legal hold from another case"])
        proposal = Proposal.objects.create(case=case, decision=decision, reason=reason, referred_to=referred_to,
                                           policy_reference=policy_reference, proposed_by=user, proposed_at=now)
        _audit(actor, "escalation.decision.proposed", case, proposed=decision,
               needs_second_person=decision in FOUR_EYES, proposal=proposal.pk)
        if decision in FOUR_EYES:
            case.status = Case.Status.AWAITING_CONFIRMATION
            case.save(update_fields=["status"])
        else:
            _confirm(proposal, case, user, actor, now)
    return proposal


def confirm(user, proposal: Proposal, *, address: str = "", now=None) -> Proposal:
    """The second person confirms a hold or a referral; the proposer never can."""
    now = now or timezone.now()
    actor = Actor.for_user(user, address)
    _check_staff(user, proposal.case, actor, "escalation.decision.confirmed")
    if proposal.proposed_by_id == user.id:
        # Audited outside any transaction, so the refused attempt stays in the log.
        reasons = ["four eyes: the person who proposed a legal hold or referral cannot confirm it"]
        _audit(actor, "escalation.decision.confirmed", proposal.case, outcome="denied",
               proposed=proposal.decision, reasons=reasons)
        raise DecisionRefused(reasons)
    with transaction.atomic():
        case = _locked_case(proposal.case_id)
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.state != Proposal.State.PENDING:
            raise DecisionRefused(["this proposal is no longer pending"])
        if proposal.proposed_by_id == user.id:  # re-read under the lock
            raise DecisionRefused(["four eyes: the person who proposed a legal hold or referral cannot confirm it"])
        _confirm(proposal, case, user, actor, now)
    return proposal


def _confirm(proposal: Proposal, case: Case, user, actor: Actor, now) -> None:
    proposal.state = Proposal.State.CONFIRMED
    proposal.resolved_by = user
    proposal.resolved_at = now
    proposal.save(update_fields=["state", "resolved_by", "resolved_at"])
    case.decision = proposal.decision
    case.decided_at = now
    _audit(actor, "escalation.decision.confirmed", case, decision=proposal.decision,
           seconds_to_decision=_seconds(case, now), proposal=proposal.pk,
           proposed_by=proposal.proposed_by.pseudonym or "", four_eyes=proposal.proposed_by_id != user.id)
    if proposal.decision == Case.Decision.NO_ACTION:
        _delete_content(case, actor)
        case.status = Case.Status.CLOSED
    elif proposal.decision == Case.Decision.LEGAL_HOLD:
        hold = LegalHold.objects.create(
            case=case, controller_id=case.controller_id, snippet_id=case.snippet_id,
            customer_pseudonym=case.customer_pseudonym, reason=proposal.reason,
            proposed_by_id=proposal.proposed_by_id, confirmed_by=user, placed_at=now)
        case.status = Case.Status.HELD
        _audit(actor, "escalation.hold.placed", case, hold=hold.pk)
    else:
        case.status = Case.Status.CLOSED
        _audit(actor, "escalation.referred", case, to=proposal.referred_to,
               policy=proposal.policy_reference)
    case.save()


def _delete_content(case: Case, actor: Actor) -> None:
    """No action: the flagged audio, its hypothesis, every transcript and draft, and the note go."""
    content.shred_escalation_note(case)
    snippet = case.snippet
    if snippet is None:
        return
    if snippet.shredded_at is None:
        content.shred_snippet(snippet)
    Submission.objects.filter(task__snippet_id=snippet.pk).update(transcript_ciphertext=None, wrapped_dek=None)
    Draft.objects.filter(task__snippet_id=snippet.pk).delete()
    record(actor, "snippet.shred", object_type="snippet", object_id=snippet.pk, customer=case.customer_pseudonym,
           purpose="escalation", details={"case": str(case.pk)})


def reject(user, proposal: Proposal, reason: str, *, address: str = "", now=None) -> Proposal:
    """Turn a pending hold or referral down (or withdraw one's own): the case is open again."""
    now = now or timezone.now()
    actor = Actor.for_user(user, address)
    _check_staff(user, proposal.case, actor, "escalation.decision.rejected")
    reason = _clean_reason(reason, "rejection")
    with transaction.atomic():
        case = _locked_case(proposal.case_id)
        proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
        if proposal.state != Proposal.State.PENDING:
            raise DecisionRefused(["this proposal is no longer pending"])
        proposal.state = Proposal.State.REJECTED
        proposal.resolved_by, proposal.resolved_at, proposal.resolution_reason = user, now, reason
        proposal.save(update_fields=["state", "resolved_by", "resolved_at", "resolution_reason"])
        case.status = Case.Status.OPEN
        case.save(update_fields=["status"])
        _audit(actor, "escalation.decision.rejected", case, proposed=proposal.decision, proposal=proposal.pk)
        if proposal.decision == Case.Decision.LEGAL_HOLD:
            holds.announce_hold_ended(case, actor, "escalation.decision.rejected")
    return proposal


def release_hold(user, hold: LegalHold, reason: str, *, address: str = "", now=None) -> LegalHold:
    now = now or timezone.now()
    actor = Actor.for_user(user, address)
    _check_staff(user, hold.case, actor, "escalation.hold.released")
    reason = _clean_reason(reason, "release of a legal hold")
    with transaction.atomic():
        case = _locked_case(hold.case_id)
        hold = LegalHold.objects.select_for_update().get(pk=hold.pk)
        if hold.released_at is not None:
            raise DecisionRefused(["this hold was already released"])
        hold.released_at, hold.released_by, hold.release_reason = now, user, reason
        hold.save(update_fields=["released_at", "released_by", "release_reason"])
        if not case.holds.filter(released_at__isnull=True).exists():
            case.status = Case.Status.CLOSED
            case.save(update_fields=["status"])
        _audit(actor, "escalation.hold.released", case, hold=hold.pk,
               seconds_held=int((now - hold.placed_at).total_seconds()))
        holds.announce_hold_ended(case, actor, "escalation.hold.released")
    return hold
