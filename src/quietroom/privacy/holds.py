"""Legal holds: the hook erasure and retention ask before destroying anything.

Holds are placed on escalation cases (quietroom.escalation, confirmed by a second officer).
Keep the signature: a list of human-readable reasons, empty when nothing blocks.
"""
from __future__ import annotations


def blocking_holds(controller, customer_pseudonym: str) -> list[str]:
    # Legal holds placed on escalation cases (quietroom.escalation.holds).
    from quietroom.escalation.holds import blocking_reasons

    return blocking_reasons(controller, customer_pseudonym)


def held_snippet_ids() -> set:
    """Snippets under an active legal hold: retention never shreds them."""
    from quietroom.escalation.holds import held_snippet_ids as held

    return held()
