"""Common Voice release TSV (validated.tsv, train.tsv, ...).

Columns: client_id, path, sentence, up_votes, down_votes, age, gender, accent, locale, segment.
client_id is the contributor (the customer id, pseudonymised at the door like any other);
path names the clip inside the clips folder and is also its recording id (unique per release).
Only what ingestion needs is taken: the prompt sentence, age, gender and accent stay behind.
Contributors consented to Common Voice's terms, not to QuietRoom: the operator states the
basis for this batch (`--consent-basis`), which is recorded on the import.
"""
from __future__ import annotations

import csv
import io

from quietroom.recordings.manifest import ManifestError, decode_text

from .common import ImportOptions, base_record, locale_problems, resolve_locale, validate_mapped

REQUIRED = ("client_id", "path")
FIELD_NAMES = {"customer_id": "client_id", "audio_path": "path", "recording_id": "path"}
# Headers of the clips folder: the release keeps audio under clips/ beside the TSV.
CLIPS_PREFIX = "clips/"


def read_rows(name: str, data: bytes, options: ImportOptions):
    options.require_consent_basis("Common Voice")
    text = decode_text(name, data)
    # Common Voice sentences contain quotes; the TSV does not use CSV quoting.
    reader = csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE)
    missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise ManifestError(f"{name}: missing column(s): {', '.join(missing)}")
    clips_prefix = options.extra.get("clips_prefix", CLIPS_PREFIX)

    def records():
        for row in reader:
            clip = (row.get("path") or "").strip()
            locale, problem = resolve_locale(row.get("locale") or "", options.locale)
            record = base_record(options) | {
                "recording_id": clip,
                "customer_id": row.get("client_id") or "",
                "audio_path": (clips_prefix + clip) if clip and "/" not in clip else clip,
                "locale": locale,
            }
            yield reader.line_num, record, locale_problems(problem)

    return validate_mapped(records(), FIELD_NAMES)
