"""The manifest's names are strict and its errors complete (issue 15, finding 7); importers take
only the columns they map from formats that legitimately carry more."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from quietroom.recordings.importers import ImportOptions, read_rows
from quietroom.recordings.manifest import ManifestError, ManifestRow, RowError, parse_manifest
from tests.conftest import MANIFEST_FIELDS, manifest_row


def csv_bytes(header: list[str], rows: list[list[str]], sep: str = ",") -> bytes:
    return "\n".join(sep.join(cells) for cells in [header, *rows]).encode() + b"\n"


GOOD = manifest_row("rec-1", "a.wav")


def good_cells(**over) -> list[str]:
    return [str((GOOD | over)[f]) for f in MANIFEST_FIELDS]


def test_every_problem_of_a_header_is_named_once_as_the_header_line():
    header = [f for f in MANIFEST_FIELDS if f != "customer_id"] + ["Accidental", "locale", "notes", ""]
    with pytest.raises(ManifestError) as refused:
        parse_manifest("batch.csv", csv_bytes(header, [good_cells()[:-1] + ["no", "en-US", "x", ""]]))
    assert str(refused.value) == (
        "batch.csv: header (line 1): Accidental: unknown column (did you mean `accidental`?); "
        "notes: unknown column (not a manifest field, see docs/ingestion.md); column 12 has no name; "
        "locale: column appears more than once; customer_id: missing column"
    )


def test_a_tsv_header_is_as_strict():
    with pytest.raises(ManifestError, match=r"^b\.tsv: header \(line 1\): custmer_id: unknown column "
                                            r"\(did you mean `customer_id`\?\); customer_id: missing column$"):
        header = ["custmer_id" if f == "customer_id" else f for f in MANIFEST_FIELDS]
        parse_manifest("b.tsv", csv_bytes(header, [good_cells()], sep="\t"))


def test_an_empty_csv_is_refused_by_name():
    with pytest.raises(ManifestError, match=r"^empty\.csv: empty \(no header line\)$"):
        parse_manifest("empty.csv", b"")


def test_the_optional_accidental_column_spelled_right_is_read():
    rows = parse_manifest("ok.csv", csv_bytes([*MANIFEST_FIELDS, "accidental"], [good_cells() + ["yes"]]))
    assert isinstance(rows[0], ManifestRow) and rows[0].accidental is True
    jsonl = (json.dumps(GOOD) + "\n" + json.dumps(GOOD | {"recording_id": "rec-2", "accidental": True}) + "\n")
    first, second = parse_manifest("ok.jsonl", jsonl.encode())
    assert (first.accidental, second.accidental) == (False, True)


def test_a_csv_row_with_more_values_than_columns_is_refused():
    (row,) = parse_manifest("x.csv", csv_bytes(MANIFEST_FIELDS, [good_cells() + ["surplus", "more"]]))
    assert isinstance(row, RowError) and row.line == 2
    assert row.reason == "2 more value(s) than the header has columns"


def test_a_jsonl_row_lists_its_unknown_keys_first_then_its_other_problems():
    line = GOOD | {"custmer_id": "c-9", "customer_id": "", "accidentl": "true", "consent": "perhaps"}
    (row,) = parse_manifest("x.jsonl", (json.dumps(line) + "\n").encode())
    assert str(row) == (
        "row 1 (rec-1): custmer_id: unknown field (did you mean `customer_id`?); "
        "accidentl: unknown field (did you mean `accidental`?); customer_id: missing; "
        "consent: not a yes/no value: 'perhaps'"
    )


def test_common_voice_keeps_its_own_extra_columns_out_and_reports_every_problem_of_a_row():
    header = ["client_id", "path", "sentence", "up_votes", "down_votes", "age", "gender", "accent", "locale",
              "segment", "variant"]
    tsv = csv_bytes(header, [
        ["c1", "clip1.mp3", "hello there", "2", "0", "twenties", "", "", "en", "", "x"],
        ["", "clip2.mp3", "hi", "1", "0", "", "", "", "fr", "", ""],
    ], sep="\t")
    good, bad = read_rows("commonvoice", "validated.tsv", tsv,
                          ImportOptions(consent_basis="CC0 release", locale="en-GB", region="GB"))
    assert isinstance(good, ManifestRow) and good.locale == "en-GB"
    assert isinstance(bad, RowError) and bad.recording_id == "clip2.mp3"
    assert bad.reason == "client_id: missing; locale: 'fr' does not match the default locale en-GB"


def test_label_studio_names_a_task_problem_by_its_own_keys():
    tasks = [{"id": 7, "data": {"audio": "a.wav", "speaker": "", "locale": "de", "score": 3}}]
    (bad,) = read_rows("labelstudio", "tasks.json", json.dumps(tasks).encode(),
                       ImportOptions(consent_basis="contract", locale="en-GB", region="GB", customer_column="speaker"))
    assert bad.reason == "data.speaker: missing; data.locale: 'de' does not match the default locale en-GB"


def test_the_examples_in_docs_ingestion_are_valid_manifests():
    doc = (Path(__file__).parents[2] / "docs" / "ingestion.md").read_text()
    for name, fence in (("example.csv", "csv"), ("example.jsonl", "json")):
        text = re.search(rf"```{fence}\n(.*?)```", doc, re.S).group(1)
        rows = parse_manifest(name, text.encode())
        assert rows and all(isinstance(row, ManifestRow) for row in rows), rows
