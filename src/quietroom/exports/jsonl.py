"""Export of reviewed transcripts as JSON Lines (kept for callers of the first version).

Each line: snippet id, pseudonymous customer id, locale, timing, transcript, reviewer
pseudonym and time. Never audio paths, real customer ids or the product's recording ids.
Transcripts are decrypted through the gate, one audit event each.
"""
from __future__ import annotations

from typing import IO

from quietroom.audit.log import Actor

from .collect import ExportFilters
from .models import Export
from .run import export_now
from .sinks import FileSink


def export_jsonl(out: IO[str], actor: Actor, *, locale: str | None = None, controller=None) -> Export:
    return export_now("jsonl", FileSink("-", stream=out), actor, controller=controller,
                      filters=ExportFilters(locale=locale))
