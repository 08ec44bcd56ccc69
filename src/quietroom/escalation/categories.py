"""What a reviewer can flag, how urgent each kind is, and how long the controller has to respond.

Pure data and arithmetic (no database): the room's label validation, the escalation queue and
the deadline job all read these, so a category is defined once.
"""
from __future__ import annotations

from datetime import datetime, timedelta

# code -> what the reviewer sees. Codes are stored in labels, cases and audit details.
CATEGORIES: dict[str, str] = {
    "violence_abuse": "Possible violence or abuse",
    "child_safety": "Child safety",
    "self_harm": "Self-harm",
    "threat": "Threat to others",
    "crime": "Crime",
    "medical": "Medical emergency",
    "other": "Other distressing content",
}

SEVERITIES = ("critical", "high", "medium", "low")

# A person may be at risk right now for the first four: they go to the top of the queue.
SEVERITY_OF: dict[str, str] = {
    "child_safety": "critical",
    "medical": "critical",
    "self_harm": "critical",
    "threat": "high",
    "violence_abuse": "high",
    "crime": "medium",
    "other": "low",
}

# Default response deadlines in hours; settings.QUIETROOM["ESCALATION_DEADLINE_HOURS"] overrides.
DEFAULT_DEADLINE_HOURS: dict[str, float] = {"critical": 4.0, "high": 24.0, "medium": 72.0, "low": 168.0}


def severity_of(category: str) -> str:
    return SEVERITY_OF.get(category, "low")


def severity_rank(severity: str) -> int:
    """0 for the most urgent; used to sort the queue."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def deadline_for(severity: str, reported_at: datetime, hours: dict | None = None) -> datetime:
    table = {**DEFAULT_DEADLINE_HOURS, **(hours or {})}
    return reported_at + timedelta(hours=float(table.get(severity, DEFAULT_DEADLINE_HOURS["low"])))


def deadline_is_near(reported_at: datetime, deadline_at: datetime, now: datetime, fraction_left: float) -> bool:
    """True once less than `fraction_left` of the response window remains (or it has passed)."""
    window = (deadline_at - reported_at).total_seconds()
    return (deadline_at - now).total_seconds() <= window * fraction_left
