"""Export of reviewed transcripts as JSON Lines.

Each line: snippet id, pseudonymous customer id, locale, timing, transcript, reviewer
pseudonym and time. Never audio paths, real customer ids or the product's recording ids.
Transcripts are decrypted through the gate, one audit event each.
"""
from __future__ import annotations

import json
from collections import Counter
from typing import IO

from quietroom import gate
from quietroom.audit.log import Actor, record
from quietroom.review.models import Submission

from .models import Export, ExportCustomer


def export_jsonl(out: IO[str], actor: Actor, *, locale: str | None = None) -> Export:
    submissions = (
        Submission.objects.select_related("task__snippet__recording__customer", "reviewer")
        .filter(task__snippet__recording__customer__destroyed_at__isnull=True)
        .order_by("submitted_at", "id")
    )
    if locale:
        submissions = submissions.filter(task__locale=locale)
    export = Export.objects.create(format="jsonl", created_by=actor.name, filters={"locale": locale} if locale else {})
    per_customer: Counter[str] = Counter()
    for submission, text in gate.transcripts_for_export(actor, submissions.iterator()):
        snippet = submission.task.snippet
        out.write(json.dumps({
            "snippet_id": str(snippet.id),
            "export_id": str(export.id),
            "customer": snippet.recording.customer.pseudonym,
            "locale": snippet.locale,
            "duration": round(snippet.duration_seconds, 3),
            "transcript": text,
            "reviewer": submission.reviewer.pseudonym,
            "submitted_at": submission.submitted_at.isoformat(),
        }, ensure_ascii=False) + "\n")
        per_customer[snippet.recording.customer.pseudonym] += 1
    ExportCustomer.objects.bulk_create(
        [ExportCustomer(export=export, customer_pseudonym=c, items=n) for c, n in per_customer.items()]
    )
    export.item_count = sum(per_customer.values())
    export.save(update_fields=["item_count"])
    record(actor, "export", object_type="export", object_id=export.id,
           details={"format": "jsonl", "items": export.item_count, "customers": len(per_customer)})
    return export
