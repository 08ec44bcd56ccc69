"""Reading the audit log a page at a time, for the auditor's pages.

The log can hold millions of entries, so nothing here counts them: a page is the next 50
entries by `seq` before (or after) a cursor, and "is there more?" is one extra row fetched or
one EXISTS. Each filter is served by an index (migration 0005), newest first.

What a row shows is chosen here, once: the actor's pseudonym and never the username or the
address the entry also stores (the hashed form hides those two behind a salted commitment,
and so do these pages; docs/privacy.md "The auditor's pages"). The log itself holds no content
and no real customer id, only the customer pseudonym.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import Q, QuerySet

from . import readable
from .models import AuditEvent

PAGE_SIZE = 50
OUTCOMES = ("ok", "denied", "failed")

# The columns a page reads; `actor` (username), `address`, `salt` and the hashes are never loaded.
SHOWN = ("seq", "at", "actor_pseudonym", "role", "organisation", "site", "country", "action", "object_type",
         "object_id", "customer", "purpose", "outcome", "details", "pruned_at")


@dataclass(frozen=True)
class Filters:
    """What the auditor asked for; empty means "any". `since` is inclusive, `until` exclusive."""

    action: str = ""
    action_prefix: str = ""
    actor: str = ""
    object_type: str = ""
    object_id: str = ""
    outcome: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def as_details(self) -> dict:
        """The filters as they go into the `audit.log.view` entry (only those set)."""
        values = {"action": self.action, "action_prefix": self.action_prefix, "actor": self.actor,
                  "object_type": self.object_type, "object_id": self.object_id, "outcome": self.outcome,
                  "since": self.since.isoformat() if self.since else "",
                  "until": self.until.isoformat() if self.until else ""}
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class Row:
    seq: int
    at: datetime
    who: str
    role: str
    organisation: str
    site: str
    country: str
    action: str
    object_type: str
    object_id: str
    customer: str
    purpose: str
    outcome: str
    details: dict
    pruned: bool

    @property
    def readable_details(self) -> list[tuple[str, str]]:
        return readable.pairs(self.details)


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    newer_than: int | None  # cursor for the newer page (?after=), None when there is none
    older_than: int | None  # cursor for the older page (?before=), None when there is none


def _action_prefix(prefix: str) -> Q:
    if connection.vendor == "postgresql":
        # LIKE 'prefix%': the varchar_pattern_ops index serves it whatever the collation.
        return Q(action__startswith=prefix)
    # SQLite compares text byte by byte, so the prefix is a range the (action, seq) index serves;
    # its LIKE is case-insensitive and would read every entry instead.
    return Q(action__gte=prefix, action__lt=prefix[:-1] + chr(ord(prefix[-1]) + 1))


def matching(filters: Filters) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all()
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.action_prefix:
        qs = qs.filter(_action_prefix(filters.action_prefix))
    if filters.actor:
        qs = qs.filter(actor_pseudonym=filters.actor)
    if filters.object_type:
        qs = qs.filter(object_type=filters.object_type)
    if filters.object_id:
        qs = qs.filter(object_id=filters.object_id)
    if filters.outcome:
        qs = qs.filter(outcome=filters.outcome)
    if filters.since is not None:
        qs = qs.filter(at__gte=filters.since)
    if filters.until is not None:
        qs = qs.filter(at__lt=filters.until)
    return qs


def newest_first(qs: QuerySet[AuditEvent], before: int | None, limit: int) -> QuerySet:
    """The query a page runs: up to `limit` entries before entry `before`, newest first."""
    if before is not None:
        qs = qs.filter(seq__lt=before)
    return qs.order_by("-seq").values_list(*SHOWN)[:limit]


def page(filters: Filters, *, before: int | None = None, after: int | None = None, size: int = PAGE_SIZE) -> Page:
    """Entries matching `filters`, newest first: the `size` before entry `before` (default: the
    newest), or the `size` right after entry `after` (going back towards the newest)."""
    qs = matching(filters)
    if after is not None:
        chunk = [_row(v) for v in qs.filter(seq__gt=after).order_by("seq").values_list(*SHOWN)[:size + 1]]
        rows = chunk[:size][::-1]
        if not rows:
            return Page([], None, after + 1 if qs.filter(seq__lte=after).exists() else None)
        older = rows[-1].seq if qs.filter(seq__lt=rows[-1].seq).exists() else None
        return Page(rows, rows[0].seq if len(chunk) > size else None, older)
    chunk = [_row(v) for v in newest_first(qs, before, size + 1)]
    rows = chunk[:size]
    if before is None:
        newer = None
    elif rows:
        newer = rows[0].seq if qs.filter(seq__gt=rows[0].seq).exists() else None
    else:
        newer = before - 1 if qs.filter(seq__gte=before).exists() else None
    return Page(rows, newer, rows[-1].seq if len(chunk) > size else None)


def _row(values: tuple) -> Row:
    (seq, at, pseudonym, role, organisation, site, country, action, object_type, object_id, customer, purpose,
     outcome, details, pruned_at) = values
    # Entries with no pseudonym: the system, a command line, or a sign-in attempt by an unknown name.
    who = pseudonym or ("system" if role == "system" else "")
    return Row(seq, at, who, role, organisation, site, country, action, object_type, object_id, customer, purpose,
               outcome, details if isinstance(details, dict) else {}, pruned_at is not None)


def entry(action: str, seq: int | None = None) -> Row | None:
    """Entry `seq` if it has this action, else (seq None) the newest with it: one row read by index."""
    qs = AuditEvent.objects.filter(action=action)
    if seq is not None:
        qs = qs.filter(seq=seq)
    values = qs.order_by("-seq").values_list(*SHOWN).first()
    return _row(values) if values else None
