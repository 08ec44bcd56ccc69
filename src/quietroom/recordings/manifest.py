"""Reading an ingestion manifest (CSV or JSONL) into validated rows.

The format is documented for producers in docs/ingestion.md. Each row is validated on its own
and either yields a `ManifestRow` or a `RowError` naming the row and every problem it has
(field and reason), so one bad line never stops the others and a producer fixes a row in one
go. The manifest is strict about names: a column (CSV header) or key (JSONL) QuietRoom does
not know is refused with the closest known name, because a misspelt optional column is
otherwise silently absent (`accidentl` would send an accidental activation to a reviewer).
A CSV header with an unknown, duplicated or missing column refuses the whole manifest before
any row is read.
"""
from __future__ import annotations

import csv
import difflib
import io
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath

# Every CSV header names these (values may be blank where a default exists: activation).
FIELDS = (
    "recording_id", "customer_id", "audio_path", "locale", "region",
    "source", "activation", "consent", "captured_at",
)
# May be left out entirely.
OPTIONAL_FIELDS = ("accidental",)
KNOWN_FIELDS = FIELDS + OPTIONAL_FIELDS
SOURCES = {"assistant", "call"}
ACTIVATIONS = {"wake_word", "button", "unknown"}
LOCALE_RE = re.compile(r"^[a-z]{2,3}-[A-Z]{2}$")
REGION_RE = re.compile(r"^([A-Z]{2}|EU)$")
TRUE_WORDS = {"true", "yes", "1", "y"}
FALSE_WORDS = {"false", "no", "0", "n", ""}


class ManifestError(ValueError):
    """The manifest as a whole cannot be read (unknown format; a header with unknown, repeated or
    missing columns): nothing of it is ingested."""


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
class Problem:
    """One thing wrong with a row: the field it concerns ("" for the row as a whole) and why."""
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


@dataclass(frozen=True)
class RowError:
    """A refused row with every problem found in it, in column order."""
    line: int
    recording_id: str
    problems: tuple[Problem, ...]

    @classmethod
    def single(cls, line: int, recording_id: str, field: str, reason: str) -> "RowError":
        return cls(line, recording_id, (Problem(field, reason),))

    @property
    def reason(self) -> str:
        """All problems, e.g. "customer_id: missing; locale: 'xx' is not a locale like en-GB"."""
        return "; ".join(str(problem) for problem in self.problems)

    def renamed(self, names: dict[str, str]) -> "RowError":
        """The same error naming fields as another format does (an importer's own columns)."""
        return replace(self, problems=tuple(replace(p, field=names.get(p.field, p.field)) for p in self.problems))

    def __str__(self) -> str:
        where = f"row {self.line}" + (f" ({self.recording_id})" if self.recording_id else "")
        return f"{where}: {self.reason}"


def _unknown(name: str, what: str) -> Problem:
    """An unknown column or key, with the closest known name when there is one."""
    shown = name[:40]  # a name, not data; still, keep a runaway key out of reports
    match = difflib.get_close_matches(name.strip().lower(), KNOWN_FIELDS, n=1)
    hint = f"did you mean `{match[0]}`?" if match else "not a manifest field, see docs/ingestion.md"
    return Problem(shown, f"unknown {what} ({hint})")


def header_problems(columns: list[str]) -> list[Problem]:
    """What is wrong with a CSV header: unknown, repeated and missing columns."""
    problems = [_unknown(c, "column") if c.strip() else Problem("", f"column {i} has no name")
                for i, c in enumerate(columns, start=1) if c not in KNOWN_FIELDS]
    seen: set[str] = set()
    for column in columns:
        if column in seen and column in KNOWN_FIELDS:
            problems.append(Problem(column, "column appears more than once"))
        seen.add(column)
    problems += [Problem(f, "missing column") for f in FIELDS if f not in seen]
    return problems


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
        if not reader.fieldnames:
            raise ManifestError(f"{name}: empty (no header line)")
        problems = header_problems(list(reader.fieldnames))
        if problems:
            # Refused as a whole: every row would be read without (or with the wrong) column.
            raise ManifestError(f"{name}: header (line {reader.line_num}): " + "; ".join(map(str, problems)))
        for record in reader:
            yield reader.line_num, record
    else:
        raise ManifestError(f"{name}: unknown manifest format '{suffix}' (use .csv or .jsonl)")


def _text(record: dict, name: str) -> str:
    value = record.get(name)
    return "" if value is None else str(value).strip()


def _yes_no(raw) -> bool | None:
    """True, False, or None when `raw` is not a yes/no value (missing counts as no)."""
    word = str(raw).strip().lower() if raw is not None else ""
    if raw is True or (raw is not False and word in TRUE_WORDS):
        return True
    if raw is None or raw is False or word in FALSE_WORDS:
        return False
    return None


def validate(line: int, record: dict, known: tuple[Problem, ...] = ()) -> ManifestRow | RowError:
    """One record to a row, or an error listing every problem it has.

    `known`: problems an importer already found (its locale column, say); those fields are
    not checked again, so each problem is reported once.
    """
    rec_id = _text(record, "recording_id")
    problems: list[Problem] = []
    checked = {p.field for p in known}

    def problem(field: str, reason: str) -> None:
        if field not in checked:
            problems.append(Problem(field, reason))

    for key in record:
        if key is None:  # csv.DictReader's key for values beyond the header's columns
            problem("", f"{len(record[key])} more value(s) than the header has columns")
        elif key not in KNOWN_FIELDS:
            problems.append(_unknown(str(key), "field"))
    problems.extend(known)  # sorted into column order below

    if not rec_id:
        problem("recording_id", "missing")
    elif len(rec_id) > 200:
        problem("recording_id", "longer than 200 characters")
    customer = _text(record, "customer_id")
    if not customer:
        problem("customer_id", "missing")
    audio_path = _text(record, "audio_path")
    if not audio_path:
        problem("audio_path", "missing")
    locale = _text(record, "locale")
    if not LOCALE_RE.match(locale):
        problem("locale", f"{locale[:20]!r} is not a locale like en-GB")
    region = _text(record, "region").upper()
    if not REGION_RE.match(region):
        problem("region", f"{region[:20]!r} is not an ISO country code or EU")
    source = _text(record, "source")
    if source not in SOURCES:
        problem("source", f"{source[:20]!r} is not one of {', '.join(sorted(SOURCES))}")
    activation = _text(record, "activation") or "unknown"
    if activation not in ACTIVATIONS:
        problem("activation", f"{activation[:20]!r} is not one of {', '.join(sorted(ACTIVATIONS))}")
    consent = _yes_no(record.get("consent"))
    if consent is None:
        problem("consent", f"not a yes/no value: {_text(record, 'consent').lower()[:20]!r}")
    elif not consent:
        problem("consent", "no consent recorded for this recording; refused")
    captured_raw = _text(record, "captured_at")
    captured = None
    try:
        captured = datetime.fromisoformat(captured_raw.replace("Z", "+00:00"))
    except ValueError:
        problem("captured_at", f"{captured_raw[:40]!r} is not an ISO 8601 time")
    if captured is not None and captured.tzinfo is None:
        problem("captured_at", "needs a time zone (e.g. 2026-01-31T09:00:00Z)")
    accidental = _yes_no(record.get("accidental"))
    if accidental is None:
        problem("accidental", f"not a true/false value: {_text(record, 'accidental').lower()[:20]!r}")

    if problems:
        # Unknown names first (they often explain a "missing"), then in column order.
        order = {name: i for i, name in enumerate(KNOWN_FIELDS)}
        problems.sort(key=lambda p: order.get(p.field, -1))
        return RowError(line, rec_id, tuple(problems))
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
    """(line, dict or Exception) pairs, from any importer, to validated rows or row errors.

    An importer that found problems of its own in a record passes (line, dict, problems).
    """
    results: list[ManifestRow | RowError] = []
    for line, record, *known in records:
        if isinstance(record, Exception):
            results.append(RowError.single(line, "", "", str(record)))
        else:
            results.append(validate(line, record, *known))
    return results


def parse_manifest(name: str, data: bytes) -> list[ManifestRow | RowError]:
    """A QuietRoom manifest given as bytes (an upload, an object from a source root)."""
    return validate_records(_raw_rows(name, decode_text(name, data)))


def read_manifest(path: Path) -> list[ManifestRow | RowError]:
    return parse_manifest(path.name, path.read_bytes())
