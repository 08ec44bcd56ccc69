"""Legal holds, confirmed or proposed, as privacy's retention and erasure ask for them.

A snippet is held while a confirmed `LegalHold` on it is active, and also while a legal hold on
its case is proposed and waits for the second officer: the evidence must not vanish while they
decide. Retention never shreds a held snippet; erasure keeps exactly the held snippets and
erases everything else of the customer (`quietroom.privacy.erasure`).

When a hold ends — released, or the proposal turned down — `hold_ended` is sent after the change
commits. Escalation never imports privacy (privacy sits above it), so privacy connects its
receiver at start-up (`PrivacyConfig.ready`) and finishes an erasure that waited on the hold.
"""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.dispatch import Signal

from .models import Case, LegalHold, Proposal

logger = logging.getLogger(__name__)

# Sent after commit with controller_id, customer_pseudonym, case_id, actor (who ended it), why.
hold_ended = Signal()


@dataclass(frozen=True)
class Holding:
    """One case holding (or about to hold) one snippet: what an erasure reports, never content."""

    case_id: uuid.UUID
    category: str
    confirmed: bool              # False: proposed, waiting for the second officer
    since: datetime              # placed, or proposed
    snippet_ref: uuid.UUID | None
    decide_by: datetime | None   # a proposal: the case's response deadline


def _active():
    return LegalHold.objects.filter(released_at__isnull=True)


def _pending():
    return Proposal.objects.filter(state=Proposal.State.PENDING, decision=Case.Decision.LEGAL_HOLD)


def active_holds_for_customer(pseudonym: str, controller=None):
    holds = _active().filter(customer_pseudonym=pseudonym)
    if controller is not None:
        holds = holds.filter(controller_id=getattr(controller, "pk", controller))
    return holds.select_related("case")


def active_holds_for_snippet(snippet_id):
    return _active().filter(snippet_id=snippet_id).select_related("case")


def held_snippet_ids() -> set:
    """Every snippet under an active hold or a pending hold proposal (retention leaves these alone)."""
    confirmed = _active().exclude(snippet_id=None).values_list("snippet_id", flat=True)
    proposed = _pending().exclude(case__snippet_id=None).values_list("case__snippet_id", flat=True)
    return set(confirmed) | set(proposed)


def holdings_for_customer(controller, pseudonym: str) -> list[Holding]:
    """The customer's confirmed holds and pending hold proposals, oldest first."""
    controller_id = getattr(controller, "pk", controller)
    confirmed = [
        Holding(hold.case_id, hold.case.category, True, hold.placed_at,
                hold.snippet_id or hold.case.snippet_ref, None)
        for hold in active_holds_for_customer(pseudonym, controller_id)
    ]
    proposed = [
        Holding(p.case_id, p.case.category, False, p.proposed_at, p.case.snippet_ref, p.case.deadline_at)
        for p in _pending().filter(case__controller_id=controller_id, case__customer_pseudonym=pseudonym)
        .select_related("case")
    ]
    return sorted(confirmed + proposed, key=lambda h: (h.since, str(h.case_id)))


def snippet_is_held(snippet_ref, *, lock: bool = False) -> bool:
    """Is the snippet still held? With `lock`, inside a transaction: the cases on it are locked
    first (as every decision locks its case), so no hold can start or end until it commits."""
    if lock:
        list(Case.objects.select_for_update().filter(snippet_ref=snippet_ref).order_by("pk").values_list("pk"))
    cases = Case.objects.filter(snippet_ref=snippet_ref)
    return (_active().filter(case__in=cases).exists() or _active().filter(snippet_id=snippet_ref).exists()
            or _pending().filter(case__in=cases).exists())


def lock_cases_of(controller, pseudonym: str) -> None:
    """Lock the customer's cases (in a transaction), so holds cannot change under an erasure."""
    list(Case.objects.select_for_update().filter(controller_id=getattr(controller, "pk", controller),
                                                 customer_pseudonym=pseudonym).order_by("pk").values_list("pk"))


def announce_hold_ended(case: Case, actor, why: str) -> None:
    """Call inside the transaction that ends a hold: `hold_ended` goes out once it commits.

    A receiver's failure never undoes the decision (it has committed): it is logged, and the
    periodic job that finishes waiting erasures picks the work up.
    """
    kwargs = {"controller_id": case.controller_id, "customer_pseudonym": case.customer_pseudonym,
              "case_id": case.pk, "actor": actor, "why": why}

    def send():
        for receiver, result in hold_ended.send_robust(sender=Case, **kwargs):
            if isinstance(result, Exception):
                # The case id only: no customer, no content.
                logger.error("hold_ended receiver %s failed for case %s: %s", getattr(receiver, "__name__", receiver),
                             kwargs["case_id"], type(result).__name__)

    transaction.on_commit(send)
