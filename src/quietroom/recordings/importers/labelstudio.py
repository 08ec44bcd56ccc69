"""Label Studio tasks JSON: a list of {"id": ..., "data": {"audio": ..., ...}, ...}.

data.audio is a path relative to the source root or an http(s) URL (fetched only from hosts on
the allow-list, see sources.py). The speaker is data[customer_column]; a task's id (or its
audio reference) is the recording id. data.locale is used if present, else the batch default.
A file in which no task has data[customer_column] is refused as a whole, with the hint.
"""
from __future__ import annotations

import json

from quietroom.recordings.manifest import ManifestError, decode_text

from .common import (ImportOptions, base_record, locale_problems, require_speaker_field, resolve_locale,
                     validate_mapped)


def read_rows(name: str, data: bytes, options: ImportOptions):
    options.require_consent_basis("Label Studio")
    try:
        tasks = json.loads(decode_text(name, data))
    except json.JSONDecodeError as exc:
        raise ManifestError(f"{name}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(tasks, list):
        raise ManifestError(f"{name}: expected a JSON list of Label Studio tasks")
    speaker = options.customer_column or "customer_id"
    bodies = [task["data"] for task in tasks if isinstance(task, dict) and isinstance(task.get("data"), dict)]
    require_speaker_field(name, "Label Studio", f"data.{speaker}", speaker, bodies, "task")
    field_names = {"customer_id": f"data.{speaker}", "audio_path": "data.audio", "recording_id": "id",
                   "locale": "data.locale"}

    def records():
        for number, task in enumerate(tasks, start=1):
            body = task.get("data") if isinstance(task, dict) else None
            if not isinstance(body, dict):
                yield number, ValueError("task has no 'data' object")
                continue
            locale, problem = resolve_locale(str(body.get("locale") or ""), options.locale)
            audio = str(body.get("audio") or "").strip()
            task_id = task.get("id")
            yield number, base_record(options) | {
                "recording_id": str(task_id) if task_id is not None else audio,
                "customer_id": "" if body.get(speaker) is None else str(body.get(speaker)),
                "audio_path": audio,
                "locale": locale,
            }, locale_problems(problem)

    # Tasks are numbered by their position in the list (1 = first task).
    return validate_mapped(records(), field_names)
