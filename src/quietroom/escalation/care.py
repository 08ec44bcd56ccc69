"""Reviewer care: distress warnings, the daily cap on distressing content, support pages.

A snippet counts as distressing when its redacted hypothesis scored as likely distressing
(`distress.score`, stored in SnippetCare — by the pipeline when it calls `record_score`, or
by the room the first time it opens the snippet), when a reviewer flagged it, or when another
snippet of the same recording did either: a recording is one conversation, and what distresses
in one part goes on in the next, so its warning carries to its siblings. The daily cap is a
rule of the eligibility function: `review.candidates` reads whether a snippet is warned or
escalated, `distressing_exposures_since` counts the reviewer's day (every distressing snippet
they were given, skipped or not: they saw its warning and its machine transcript), and
`review.policy` hands both to `eligibility.decide`; `review.queue.release_if_capped` hands a
capped snippet back when its score only became known on opening.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from quietroom.recordings.models import Snippet
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


@dataclass(frozen=True)
class ContentWarning:
    """The warning shown above a snippet's player: which kinds of content (category codes, never
    words), and whether it was learnt from another snippet of the recording only."""

    categories: tuple[str, ...] = ()
    from_sibling: bool = False


def warning_for(snippet_id, recording_id) -> ContentWarning | None:
    """The content warning for a snippet of `recording_id`: its own score, or a sibling's score
    or flag (the same rule as `review.candidates`' `warned`), read in one statement. None when
    there is nothing to warn of."""
    if recording_id is None:
        row = SnippetCare.objects.filter(snippet_id=snippet_id, warn=True).first()
        return ContentWarning(categories=tuple(row.categories)) if row else None
    rows = list(Snippet.objects.filter(recording_id=recording_id)
                .filter(Q(care__warn=True) | Q(flags__isnull=False))
                .values_list("id", "care__warn", "care__categories", "flags__category"))
    if not rows:
        return None
    own, categories = False, []
    for snippet, warn, scored, flagged in rows:
        own = own or (snippet == snippet_id and bool(warn))
        categories += [*((scored or []) if warn else []), *([flagged] if flagged else [])]
    return ContentWarning(categories=tuple(dict.fromkeys(categories)), from_sibling=not own)


def _distressing(snippet_field: str, recording_field: str) -> Q:
    return (Q(Exists(SnippetCare.objects.filter(snippet_id=OuterRef(snippet_field), warn=True)))
            | Q(Exists(SnippetCare.objects.filter(snippet__recording_id=OuterRef(recording_field), warn=True)))
            | Q(Exists(Flag.objects.filter(snippet__recording_id=OuterRef(recording_field))))
            | Q(Exists(Flag.objects.filter(snippet_id=OuterRef(snippet_field)))))


def distressing_exposures_since(user, since: datetime, *, exclude_task_id=None) -> int:
    """Distressing snippets the reviewer has been given since `since` (submitted, skipped, expired
    or released alike), leaving out the lease on `exclude_task_id`."""
    mine = Exposure.objects.filter(reviewer=user, given_at__gte=since)
    if exclude_task_id is not None:
        mine = mine.exclude(task_id=exclude_task_id)
    return mine.filter(_distressing("snippet_id", "recording_id")).count()


def category_labels(warning: ContentWarning | None) -> list[str]:
    return [CATEGORIES.get(c, c) for c in (warning.categories if warning else ())]
