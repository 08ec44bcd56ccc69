"""A case's timeline, read from the audit log (the log is the record; nothing is kept twice).

Events about the case itself (object_type "escalation_case") and about its snippet (the
assignments, plays, the flag, withdrawals, plays by escalation staff, shredding, erasure).
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from quietroom.audit.models import AuditEvent

# Details worth showing; anything else (ranges, ids) stays in the log.
SHOWN = ("category", "severity", "decision", "proposed", "seconds_to_decision", "seconds_held", "to", "policy",
         "reasons", "reason", "withdrawn_tasks", "note", "needs_second_person", "four_eyes", "recipients",
         "notices")


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
    details: dict


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
              details={k: (e.details or {})[k] for k in SHOWN if k in (e.details or {})})
        for e in events_for(case)
    ]
