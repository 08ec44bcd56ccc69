"""JSON Lines: one object per reviewed snippet (data.jsonl, plus audio/ when asked)."""
from __future__ import annotations

import json

from .common import audio_name


def record_of(item, export_id: str) -> dict:
    out = {
        "snippet_id": item.snippet_id, "export_id": export_id, "customer": item.customer_pseudonym,
        "locale": item.locale, "duration": item.duration, "transcript": item.transcript,
        "reviewer": item.reviewer, "submitted_at": item.submitted_at.isoformat(),
    }
    if item.labels:
        out["labels"] = item.labels
    if item.agreement is not None:
        out["agreement"] = round(item.agreement, 4)
    if item.gold:
        out["gold"] = True
    return out


def write(items, sink, *, with_audio: bool, export_id: str) -> int:
    lines, count = [], 0
    for item in items:
        record = record_of(item, export_id)
        if with_audio:
            record["audio_filepath"] = audio_name(item)
            sink.write(audio_name(item), item.audio)
        lines.append(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    sink.write("data.jsonl", "".join(lines).encode("utf-8"))
    return count
