"""NeMo ASR manifest: one JSON object per line with audio_filepath, duration (s) and text.

audio_filepath is relative to the manifest's folder (audio/<utterance>.wav), which NeMo
resolves against the manifest location. Extra keys (locale, speaker) are ignored by NeMo.
"""
from __future__ import annotations

import json

from .common import audio_name


def write(items, sink, *, with_audio: bool, export_id: str) -> int:
    lines, count = [], 0
    for item in items:
        if with_audio:
            sink.write(audio_name(item), item.audio)
        lines.append(json.dumps({
            "audio_filepath": audio_name(item), "duration": item.duration, "text": item.transcript,
            "lang": item.locale, "speaker": item.customer_pseudonym, "snippet_id": item.snippet_id,
        }, ensure_ascii=False) + "\n")
        count += 1
    sink.write("manifest.json", "".join(lines).encode("utf-8"))
    return count
