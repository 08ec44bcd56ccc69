"""Legal holds: what erasure and retention ask before destroying anything.

Holds are placed on escalation cases (quietroom.escalation, confirmed by a second officer); a
hold proposed and waiting for the second officer counts too. Privacy sits above escalation, so it
asks escalation.holds directly, and hears when a hold ends through `escalation.holds.hold_ended`
(connected in PrivacyConfig.ready).
"""
from __future__ import annotations

from quietroom.escalation import holds as escalation_holds
from quietroom.escalation.holds import Holding

__all__ = ["Holding", "held_snippet_ids", "holdings", "lock_cases_of", "snippet_is_held"]


def holdings(controller, customer_pseudonym: str) -> list[Holding]:
    """The customer's cases that hold a snippet (confirmed or proposed), oldest first."""
    return escalation_holds.holdings_for_customer(controller, customer_pseudonym)


def held_snippet_ids() -> set:
    """Snippets under an active legal hold or a pending hold proposal: retention never shreds them."""
    return escalation_holds.held_snippet_ids()


def snippet_is_held(snippet_ref, *, lock: bool = False) -> bool:
    return escalation_holds.snippet_is_held(snippet_ref, lock=lock)


def lock_cases_of(controller, customer_pseudonym: str) -> None:
    escalation_holds.lock_cases_of(controller, customer_pseudonym)
