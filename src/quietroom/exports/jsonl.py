"""Export of reviewed transcripts as JSON Lines.

Each line: snippet id, pseudonymous customer id, locale, timing, transcript, reviewer
pseudonym and time. Never audio paths, real customer ids or the product's recording ids.
Transcripts are decrypted through the gate, one audit event each.
"""
from __future__ import annotations

import json
from typing import IO

from quietroom import gate
from quietroom.audit.log import Actor, record
from quietroom.review.models import Submission


def export_jsonl(out: IO[str], actor: Actor, *, locale: str | None = None) -> int:
    submissions = (
        Submission.objects.select_related("task__snippet__recording__customer", "reviewer")
        .filter(task__snippet__recording__customer__destroyed_at__isnull=True)
        .order_by("submitted_at", "id")
    )
    if locale:
        submissions = submissions.filter(task__locale=locale)
    count = 0
    for submission, text in gate.transcripts_for_export(actor, submissions.iterator()):
        snippet = submission.task.snippet
        out.write(json.dumps({
            "snippet_id": str(snippet.id),
            "customer": snippet.recording.customer.pseudonym,
            "locale": snippet.locale,
            "duration": round(snippet.duration_seconds, 3),
            "transcript": text,
            "reviewer": submission.reviewer.pseudonym,
            "submitted_at": submission.submitted_at.isoformat(),
        }, ensure_ascii=False) + "\n")
        count += 1
    record(actor, "export", object_type="export", details={"format": "jsonl", "items": count})
    return count
