"""Hugging Face `audiofolder`: metadata.csv or metadata.jsonl with a file_name column.

file_name is relative to the metadata file's folder (the source root). The speaker column is
configurable (`customer_column`, e.g. speaker_id); the recording id is a configured id column
or the file name. A `locale` column is used if present, else the batch default. A file in which
no row has the speaker column is refused as a whole, saying so.
"""
from __future__ import annotations

import csv
import io
from pathlib import PurePosixPath

from quietroom.recordings.manifest import ManifestError, decode_text, jsonl_records

from .common import (ImportOptions, base_record, locale_problems, require_speaker_field, resolve_locale,
                     validate_mapped)


def _records(name: str, text: str):
    suffix = PurePosixPath(name).suffix.lower()
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if "file_name" not in (reader.fieldnames or []):
            raise ManifestError(f"{name}: missing column(s): file_name")
        for row in reader:
            yield reader.line_num, row
    elif suffix in (".jsonl", ".ndjson"):
        yield from jsonl_records(text)
    else:
        raise ManifestError(f"{name}: an audiofolder needs metadata.csv or metadata.jsonl")


def read_rows(name: str, data: bytes, options: ImportOptions):
    options.require_consent_basis("audiofolder")
    text = decode_text(name, data)
    speaker = options.customer_column or "customer_id"
    field_names = {"customer_id": speaker, "audio_path": "file_name",
                   "recording_id": options.id_column or "file_name"}

    rows = list(_records(name, text))
    require_speaker_field(name, "audiofolder", speaker, speaker, [row for _, row in rows if isinstance(row, dict)],
                          "row")

    def records():
        for line, row in rows:
            if isinstance(row, Exception):
                yield line, row
                continue
            locale, problem = resolve_locale(str(row.get("locale") or ""), options.locale)
            file_name = str(row.get("file_name") or "").strip()
            yield line, base_record(options) | {
                "recording_id": str(row.get(options.id_column) or "") if options.id_column else file_name,
                "customer_id": "" if row.get(speaker) is None else str(row.get(speaker)),
                "audio_path": file_name,
                "locale": locale,
            }, locale_problems(problem)

    return validate_mapped(records(), field_names)
