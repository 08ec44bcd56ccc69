"""Reviewer care: distress warnings, the daily cap on distressing content, support pages.

A snippet counts as distressing when its redacted hypothesis scored as likely distressing
(`distress.score`, stored in SnippetCare — by the pipeline when it calls `record_score`, or
by the room the first time it opens the snippet) or when a reviewer escalated it. The daily
cap is a rule of the eligibility function: `review.candidates` reads whether a snippet is
warned or escalated, `distressing_held_since` counts the reviewer's day, and `review.policy`
hands both to `eligibility.decide`.
"""
from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from quietroom.review.models import Escalation, Task

from . import distress
from .models import SnippetCare, SupportPage

HELD = (Task.Status.LEASED, Task.Status.DONE)
CAP_REASON_PREFIX = "daily cap of"  # see eligibility: "daily cap of N distressing snippets reached"


def daily_cap() -> int:
    return int(settings.QUIETROOM.get("CARE_DISTRESS_DAILY_CAP", 5))


def break_minutes() -> float:
    return float(settings.QUIETROOM.get("CARE_BREAK_MINUTES", 50))


def record_score(snippet, text: str) -> SnippetCare:
    """Store the score of a snippet's redacted hypothesis once (the pipeline may call this)."""
    result = distress.score(text)
    row, _ = SnippetCare.objects.get_or_create(snippet_id=snippet.pk, defaults={
        "score": result.score, "warn": result.warn, "categories": list(result.categories)})
    return row


def warning_for(snippet_id) -> SnippetCare | None:
    return SnippetCare.objects.filter(snippet_id=snippet_id, warn=True).first()


def _distressing(snippet_field: str) -> Q:
    return Q(Exists(SnippetCare.objects.filter(snippet_id=OuterRef(snippet_field), warn=True))) | \
        Q(Exists(Escalation.objects.filter(snippet_id=OuterRef(snippet_field))))


def distressing_held_since(user, since: datetime, *, exclude_task_id=None) -> int:
    """Distressing snippets the reviewer has held or finished since `since`."""
    mine = Task.objects.filter(lease_owner=user, status__in=HELD, assigned_at__gte=since)
    if exclude_task_id is not None:
        mine = mine.exclude(pk=exclude_task_id)
    return mine.filter(_distressing("snippet_id")).count()


def support_page_for(user) -> SupportPage | None:
    org = getattr(user, "organisation", None)
    if org is None:
        return None
    return SupportPage.objects.filter(organisation=org).first()


def category_labels(row: SnippetCare | None) -> list[str]:
    from .categories import CATEGORIES

    return [CATEGORIES.get(c, c) for c in (row.categories if row else [])]


def release_if_capped(user, task, now, address: str = "") -> bool:
    """A distressing snippet leased to a reviewer who reached today's cap goes back to the queue.

    Its score may only become known when the room first opens it; the eligibility function then
    refuses the lease (daily cap), so the room hands it back at once — no skip, no penalty.
    """
    from django.db import transaction

    from quietroom.audit.log import Actor, record
    from quietroom.review.policy import decide_for

    reasons = decide_for(user, task, now).reasons
    if not any(r.startswith(CAP_REASON_PREFIX) and "distressing" in r for r in reasons):
        return False
    with transaction.atomic():
        released = Task.objects.filter(pk=task.pk, lease_owner=user, status=Task.Status.LEASED).update(
            status=Task.Status.QUEUED, lease_owner=None, lease_expires_at=None, assigned_at=None)
        if released:
            record(Actor.for_user(user, address), "task.release", object_type="snippet", object_id=task.snippet_id,
                   customer=task.customer.pseudonym if task.customer_id else "", purpose="reviewer care",
                   details={"reason": "daily cap of distressing content"})
    return bool(released)
