"""NeMo ASR manifest: one JSON object per line with audio_filepath, duration (s) and text.

audio_filepath is relative to the manifest's folder (audio/<utterance>.wav), which NeMo
resolves against the manifest location. Extra keys (locale, speaker) are ignored by NeMo.

Without --with-audio no audio is written, so the lines carry no audio_filepath: a text-only
manifest (NeMo's tokenizer script reads its `text`), never paths to files that do not exist.
An ASR training run fed this manifest stops at once on the missing key instead of failing on
the first batch with a file-not-found.
"""
from __future__ import annotations

import json

from .common import audio_name


def write(items, sink, *, with_audio: bool, export_id: str) -> int:
    lines, count = [], 0
    for item in items:
        line = {"duration": item.duration, "text": item.transcript, "lang": item.locale,
                "speaker": item.customer_pseudonym, "snippet_id": item.snippet_id}
        if with_audio:
            sink.write(audio_name(item), item.audio)
            line = {"audio_filepath": audio_name(item), **line}
        lines.append(json.dumps(line, ensure_ascii=False) + "\n")
        count += 1
    sink.write("manifest.json", "".join(lines).encode("utf-8"))
    return count
