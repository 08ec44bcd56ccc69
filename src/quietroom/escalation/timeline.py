"""A case's timeline, read from the audit log (the log is the record; nothing is kept twice).

Events about the case itself (object_type "escalation_case") and about its snippet (the
assignments, plays, the flag, withdrawals, plays by escalation staff, shredding, erasure).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from quietroom.audit.models import AuditEvent
from quietroom.audit.readable import as_text

from .categories import CATEGORIES

# Details worth showing; anything else (ranges, ids) stays in the log.
SHOWN = ("category", "severity", "decision", "proposed", "seconds_to_decision", "seconds_held", "to", "policy",
         "reasons", "reason", "withdrawn_tasks", "note", "needs_second_person", "four_eyes", "recipients",
         "notices")
# How a detail is named on the page; any other key is shown with its underscores as spaces.
LABELS = {
    "seconds_to_decision": "time to decision", "seconds_held": "held for", "to": "referred to",
    "withdrawn_tasks": "tasks withdrawn", "needs_second_person": "needs a second officer",
    "four_eyes": "confirmed by another officer", "notices": "notices sent",
}
# Details that are decisions or categories by code: shown by their names.
_CODES = {"decision", "proposed"}


def _duration(seconds) -> str:
    seconds = int(round(float(seconds)))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{minutes} min" if minutes else "",
             f"{seconds} s" if seconds and not days and not hours else ""]
    return " ".join(p for p in parts if p) or "0 s"


def _text(value) -> str:
    return as_text(value, _label)


def _label(key: str) -> str:
    return LABELS.get(key, str(key).replace("_", " "))


def readable(details: dict) -> list[tuple[str, str]]:
    """(label, text) for each detail worth showing, in SHOWN order: what a person reads, never a
    Python repr ("reasons: ['four eyes: ...']")."""
    shown = []
    for key in SHOWN:
        if key not in details:
            continue
        value = details[key]
        if key.startswith("seconds_") and isinstance(value, (int, float)) and not isinstance(value, bool):
            text = _duration(value)
        elif key == "category":
            text = CATEGORIES.get(value, _text(value))
        elif key in _CODES and isinstance(value, str):
            text = value.replace("_", " ")
        else:
            text = _text(value)
        shown.append((_label(key), text))
    return shown


@dataclass(frozen=True)
class Entry:
    seq: int
    at: object
    action: str
    outcome: str
    who: str
    role: str
    organisation: str
    purpose: str
    details: list  # (label, text) pairs, readable()


def events_for(case):
    query = Q(object_type="escalation_case", object_id=str(case.pk))
    if case.snippet_ref:
        query |= Q(object_type="snippet", object_id=str(case.snippet_ref))
    return AuditEvent.objects.filter(query).order_by("seq")


def build(case) -> list[Entry]:
    return [
        Entry(seq=e.seq, at=e.at, action=e.action, outcome=e.outcome,
              who=e.actor_pseudonym or ("system" if e.role == "system" else "—"), role=e.role,
              organisation=e.organisation, purpose=e.purpose,
              details=readable(e.details or {}))
        for e in events_for(case)
    ]
