"""Active legal holds, as privacy's retention and erasure ask for them.

Exposed for the privacy app (its hook `quietroom.privacy.holds.blocking_holds` calls
`blocking_reasons`): a held snippet is never shredded by retention, and a customer with a held
snippet cannot be erased until the hold is released.
"""
from __future__ import annotations

from .models import LegalHold


def _active():
    return LegalHold.objects.filter(released_at__isnull=True)


def active_holds_for_customer(pseudonym: str, controller=None):
    holds = _active().filter(customer_pseudonym=pseudonym)
    if controller is not None:
        holds = holds.filter(controller_id=getattr(controller, "pk", controller))
    return holds.select_related("case")


def active_holds_for_snippet(snippet_id):
    return _active().filter(snippet_id=snippet_id).select_related("case")


def held_snippet_ids() -> set:
    """Every snippet under an active hold (retention leaves these alone)."""
    return set(_active().exclude(snippet_id=None).values_list("snippet_id", flat=True))


def blocking_reasons(controller, pseudonym: str) -> list[str]:
    """Human-readable reasons, no content: which case holds what, since when, confirmed by whom."""
    return [
        f"legal hold from escalation case {hold.case_id} ({hold.case.get_category_display()}), "
        f"placed {hold.placed_at:%Y-%m-%d %H:%M} UTC, proposed by {hold.proposed_by.pseudonym or 'staff'}, "
        f"confirmed by {hold.confirmed_by.pseudonym or 'staff'}"
        for hold in active_holds_for_customer(pseudonym, controller).select_related("proposed_by", "confirmed_by")
        .order_by("placed_at")
    ]
