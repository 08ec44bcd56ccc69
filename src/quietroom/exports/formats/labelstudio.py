"""Label Studio tasks JSON with the reviewed transcript as a pre-filled annotation.

Import into a project whose labelling config has <Audio name="audio" value="$audio"/> and
<TextArea name="transcription" toName="audio"/>; gold items are marked ground_truth. Without
--with-audio the tasks carry no `audio` field (there is no file to point at): the transcripts
serve text work, and a project that needs the audio takes an export with it.
"""
from __future__ import annotations

import json

from .common import audio_name


def write(items, sink, *, with_audio: bool, export_id: str) -> int:
    tasks = []
    for number, item in enumerate(items, start=1):
        if with_audio:
            sink.write(audio_name(item), item.audio)
        meta = {"export_id": export_id, "reviewer": item.reviewer, "duration": item.duration}
        if item.agreement is not None:
            meta["agreement"] = round(item.agreement, 4)
        if item.labels:
            meta["labels"] = item.labels
        data = {"audio": audio_name(item)} if with_audio else {}
        data.update(snippet_id=item.snippet_id, locale=item.locale, speaker=item.customer_pseudonym)
        tasks.append({
            "id": number,
            "data": data,
            "annotations": [{
                "ground_truth": item.gold,
                "result": [{"from_name": "transcription", "to_name": "audio", "type": "textarea",
                            "value": {"text": [item.transcript]}}],
            }],
            "meta": meta,
        })
    sink.write("tasks.json", json.dumps(tasks, ensure_ascii=False, indent=1).encode("utf-8"))
    return len(tasks)
