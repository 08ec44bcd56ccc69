"""Reading an ingestion manifest (CSV or JSONL) into validated rows.

Each row is validated on its own and either yields a `ManifestRow` or a `RowError` naming
the row, the field and the reason, so one bad line never stops the others.
"""
from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

FIELDS = (
    "recording_id", "customer_id", "audio_path", "locale", "region",
    "source", "activation", "consent", "captured_at",
)
SOURCES = {"assistant", "call"}
ACTIVATIONS = {"wake_word", "button", "unknown"}
LOCALE_RE = re.compile(r"^[a-z]{2,3}-[A-Z]{2}$")
REGION_RE = re.compile(r"^([A-Z]{2}|EU)$")
TRUE_WORDS = {"true", "yes", "1", "y"}
FALSE_WORDS = {"false", "no", "0", "n", ""}


class ManifestError(ValueError):
    """The manifest as a whole cannot be read (unknown format, missing columns)."""


@dataclass(frozen=True)
class ManifestRow:
    line: int
    recording_id: str
    customer_id: str
    audio_path: str
    locale: str
    region: str
    source: str
    activation: str
    captured_at: datetime
    # Optional column: the device woke by mistake (default false). Such recordings are deleted
    # unheard unless the controller's DeidProfile opts in to transcribing them.
    accidental: bool = False


@dataclass(frozen=True)
class RowError:
    line: int
    recording_id: str
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"row {self.line}" + (f" ({self.recording_id})" if self.recording_id else "")
        return f"{where}: {self.field}: {self.reason}" if self.field else f"{where}: {self.reason}"


def jsonl_records(text: str):
    """(line number, dict or ValueError) for each non-blank line of JSON Lines text."""
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield number, ValueError(f"not valid JSON ({exc.msg} at column {exc.colno})")
            continue
        yield number, value if isinstance(value, dict) else ValueError("not a JSON object")


def _raw_rows(name: str, text: str):
    """(line number, dict) for each record; line numbers as a person sees them in an editor."""
    suffix = PurePosixPath(name).suffix.lower()
    if suffix in (".jsonl", ".ndjson"):
        yield from jsonl_records(text)
    elif suffix in (".csv", ".tsv"):
        reader = csv.DictReader(io.StringIO(text), delimiter="\t" if suffix == ".tsv" else ",")
        missing = [f for f in FIELDS if f not in (reader.fieldnames or [])]
        if missing:
            raise ManifestError(f"{name}: missing column(s): {', '.join(missing)}")
        for record in reader:
            yield reader.line_num, record
    else:
        raise ManifestError(f"{name}: unknown manifest format '{suffix}' (use .csv or .jsonl)")


def _text(record: dict, name: str) -> str:
    value = record.get(name)
    return "" if value is None else str(value).strip()


def validate(line: int, record: dict) -> ManifestRow | RowError:
    rec_id = _text(record, "recording_id")

    def error(field: str, reason: str) -> RowError:
        return RowError(line, rec_id, field, reason)

    if not rec_id:
        return error("recording_id", "missing")
    if len(rec_id) > 200:
        return error("recording_id", "longer than 200 characters")
    consent = record.get("consent")
    consent_word = str(consent).strip().lower() if consent is not None else ""
    if consent is True or consent_word in TRUE_WORDS:
        pass
    elif consent is False or consent_word in FALSE_WORDS:
        return error("consent", "no consent recorded for this recording; refused")
    else:
        return error("consent", f"not a yes/no value: {consent_word[:20]!r}")
    customer = _text(record, "customer_id")
    if not customer:
        return error("customer_id", "missing")
    audio_path = _text(record, "audio_path")
    if not audio_path:
        return error("audio_path", "missing")
    locale = _text(record, "locale")
    if not LOCALE_RE.match(locale):
        return error("locale", f"{locale[:20]!r} is not a locale like en-GB")
    region = _text(record, "region").upper()
    if not REGION_RE.match(region):
        return error("region", f"{region[:20]!r} is not an ISO country code or EU")
    source = _text(record, "source")
    if source not in SOURCES:
        return error("source", f"{source[:20]!r} is not one of {', '.join(sorted(SOURCES))}")
    activation = _text(record, "activation") or "unknown"
    if activation not in ACTIVATIONS:
        return error("activation", f"{activation[:20]!r} is not one of {', '.join(sorted(ACTIVATIONS))}")
    accidental_raw = record.get("accidental")
    accidental_word = str(accidental_raw).strip().lower() if accidental_raw is not None else ""
    if accidental_raw is True or accidental_word in TRUE_WORDS:
        accidental = True
    elif accidental_raw is None or accidental_raw is False or accidental_word in FALSE_WORDS:
        accidental = False
    else:
        return error("accidental", f"not a true/false value: {accidental_word[:20]!r}")
    captured_raw = _text(record, "captured_at")
    try:
        captured = datetime.fromisoformat(captured_raw.replace("Z", "+00:00"))
    except ValueError:
        return error("captured_at", f"{captured_raw[:40]!r} is not an ISO 8601 time")
    if captured.tzinfo is None:
        return error("captured_at", "needs a time zone (e.g. 2026-01-31T09:00:00Z)")
    return ManifestRow(
        line=line, recording_id=rec_id, customer_id=customer, audio_path=audio_path,
        locale=locale, region=region, source=source, activation=activation,
        captured_at=captured.astimezone(timezone.utc), accidental=accidental,
    )


def decode_text(name: str, data: bytes) -> str:
    """Manifest bytes as text (UTF-8, with or without a byte-order mark)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{name}: not UTF-8 text ({exc.reason})") from exc


def validate_records(records) -> list[ManifestRow | RowError]:
    """(line, dict or Exception) pairs, from any importer, to validated rows or row errors."""
    results: list[ManifestRow | RowError] = []
    for line, record in records:
        if isinstance(record, Exception):
            results.append(RowError(line, "", "", str(record)))
        else:
            results.append(validate(line, record))
    return results


def parse_manifest(name: str, data: bytes) -> list[ManifestRow | RowError]:
    """A QuietRoom manifest given as bytes (an upload, an object from a source root)."""
    return validate_records(_raw_rows(name, decode_text(name, data)))


def read_manifest(path: Path) -> list[ManifestRow | RowError]:
    return parse_manifest(path.name, path.read_bytes())
