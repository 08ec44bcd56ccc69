"""Who may see escalated cases: the controller's privacy officers (its escalation staff), only
for their own controller's cases. Nobody at a vendor — not its reviewers, not its manager —
ever reaches a case or its audio: the role check uses the central permission module, and the
case list is scoped to the officer's controller in the query itself (another controller's
case id is simply not found).
"""
from __future__ import annotations

from django.db.models import QuerySet

from quietroom.accounts.permissions import PRIVACY, has_permission
from quietroom.decisions import Decision, Reason, Refusal

from .models import Case

CONTROLLER = "controller"


def is_escalation_staff(user) -> bool:
    org = getattr(user, "organisation", None)
    return (getattr(user, "is_authenticated", False) and user.is_active and user.offboarded_at is None
            and has_permission(user, PRIVACY) and org is not None and org.kind == CONTROLLER)


def staff_reasons(user) -> list[Reason]:
    """Why `user` is not escalation staff (empty when they are)."""
    reasons = []
    if not has_permission(user, PRIVACY):
        reasons.append(Reason(Refusal.NOT_ESCALATION_STAFF, "only the controller's privacy officers handle escalations"))
    org = getattr(user, "organisation", None)
    if org is None or org.kind != CONTROLLER:
        reasons.append(Reason(Refusal.AT_A_VENDOR, "escalations are handled at the controller, never at a vendor"))
    if getattr(user, "offboarded_at", None) is not None:
        reasons.append(Reason(Refusal.OFFBOARDED, "account is offboarded"))
    return reasons


def cases_for(user) -> QuerySet[Case]:
    if not is_escalation_staff(user):
        return Case.objects.none()
    return Case.objects.filter(controller_id=user.organisation_id)


def refusal_reasons(user, case) -> list[Reason]:
    """Why `user` may not read this case's note or audio (empty: they may)."""
    reasons = staff_reasons(user)
    if not reasons and case.controller_id != user.organisation_id:
        reasons.append(Reason(Refusal.OTHER_CONTROLLER, "case belongs to another controller"))
    if case.decision == Case.Decision.NO_ACTION and case.status == Case.Status.CLOSED:
        reasons.append(Reason(Refusal.CASE_CLOSED, "case is closed and its content deleted"))
    return reasons


def escalation_review_policy(read) -> Decision:
    """The gate's question before a case's note or audio is decrypted (purpose "escalation review")."""
    return Decision.of(refusal_reasons(read.user, read.subject))


def escalation_staff() -> QuerySet:
    """Every controller's escalation staff who can act now (active, not offboarded)."""
    from django.contrib.auth import get_user_model

    return get_user_model().objects.filter(
        organisation__kind=CONTROLLER, role="privacy_officer", is_active=True, offboarded_at__isnull=True,
    )


def staff_of(controller_id) -> QuerySet:
    return escalation_staff().filter(organisation_id=controller_id)
