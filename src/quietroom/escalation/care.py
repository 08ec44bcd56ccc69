"""Reviewer care: distress warnings, the daily cap on distressing content, support pages.

A snippet counts as distressing when its redacted hypothesis scored as likely distressing
(`distress.score`, stored in SnippetCare — by the pipeline when it calls `record_score`, or
by the room the first time it opens the snippet) or when a reviewer flagged it. The daily
cap is a rule of the eligibility function: `review.candidates` reads whether a snippet is
warned or escalated, `distressing_exposures_since` counts the reviewer's day (every distressing
snippet they were given, skipped or not: they saw its warning and its machine transcript), and
`review.policy` hands both to `eligibility.decide`; `review.queue.release_if_capped` hands a capped snippet
back when its score only became known on opening.
"""
from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from quietroom.review.models import Exposure

from . import distress
from .categories import CATEGORIES
from .models import Flag, SnippetCare


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
        Q(Exists(Flag.objects.filter(snippet_id=OuterRef(snippet_field))))


def distressing_exposures_since(user, since: datetime, *, exclude_task_id=None) -> int:
    """Distressing snippets the reviewer has been given since `since` (submitted, skipped, expired
    or released alike), leaving out the lease on `exclude_task_id`."""
    mine = Exposure.objects.filter(reviewer=user, given_at__gte=since)
    if exclude_task_id is not None:
        mine = mine.exclude(task_id=exclude_task_id)
    return mine.filter(_distressing("snippet_id")).count()


def category_labels(row: SnippetCare | None) -> list[str]:
    return [CATEGORIES.get(c, c) for c in (row.categories if row else [])]
