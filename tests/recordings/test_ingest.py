"""Ingestion: consent, bad rows, corrupt audio, idempotency, nothing in the clear at rest."""
from __future__ import annotations

import csv
import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from quietroom import testspeech
from quietroom.recordings.ingest import ingest_manifest
from quietroom.recordings.manifest import ManifestError
from quietroom.recordings.models import CustomerKey, IngestBatch, Recording, Snippet
from quietroom.review.models import Task
from tests.conftest import MANIFEST_FIELDS, manifest_row, write_manifest

pytestmark = pytest.mark.django_db


def outcome(report, rec_id):
    return next(row for row in report.rows if row.recording_id == rec_id)


def test_row_without_consent_is_refused_with_its_reason(controller, audio_dir):
    manifest = write_manifest(audio_dir, [
        manifest_row("ok-1", "rec0.wav"),
        manifest_row("no-consent", "rec1.wav", consent="false"),
    ])
    report = ingest_manifest(manifest, audio_dir, controller)
    refused = outcome(report, "no-consent")
    assert refused.status == "rejected"
    assert "consent" in refused.reason and refused.line == 3
    assert outcome(report, "ok-1").status == "accepted"
    assert list(Recording.objects.values_list("external_id", flat=True)) == ["ok-1"]
    assert any("row 3 (no-consent)" in line and "consent" in line for line in report.lines())


def test_corrupt_audio_is_reported_by_name_and_the_rest_is_ingested(controller, audio_dir):
    (audio_dir / "broken.wav").write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt garbage" + os.urandom(200))
    manifest = write_manifest(audio_dir, [
        manifest_row("good-1", "rec0.wav"),
        manifest_row("bad-1", "broken.wav"),
        manifest_row("good-2", "rec1.wav", customer="cust-0002"),
    ])
    report = ingest_manifest(manifest, audio_dir, controller)
    bad = outcome(report, "bad-1")
    assert bad.status == "rejected" and "broken.wav" in bad.reason
    assert {r.recording_id for r in report.rows if r.status == "accepted"} == {"good-1", "good-2"}
    assert Recording.objects.count() == 2
    assert Snippet.objects.filter(recording__external_id="good-2").exists()


def test_decode_bombs_are_refused_by_header_per_row_and_the_rest_is_ingested(controller, audio_dir, monkeypatch):
    """Issue 14, hole 6: tiny FLACs of silence that decode to hundreds of MiB are refused, by
    name and reason, before decoding; the good rows of the same manifest go in."""
    from quietroom.deid import audio_io
    from quietroom.content import blob_store
    from tests.deid.test_audio_io import silent_flac

    bombs = {  # file: (rate, channels, seconds, the reason the row must give)
        "wide.flac": (8000, 8, 600, "8 channels (limit 2)"),
        "fast.flac": (96000, 2, 600, "sample rate 96000 Hz (limit 48000 Hz)"),
        "long.flac": (8000, 1, 40 * 60, "40.0 minutes long (limit 30.0 minutes)"),
    }
    for name, (rate, channels, seconds, _) in bombs.items():
        (audio_dir / name).write_bytes(silent_flac(rate, channels, seconds))
    assert (audio_dir / "fast.flac").stat().st_size < 300_000  # 439 MiB of float32 once decoded
    decoded = []
    real_decode = audio_io.sf.SoundFile.read
    monkeypatch.setattr(audio_io.sf.SoundFile, "read",
                        lambda self, *a, **k: decoded.append(self.frames) or real_decode(self, *a, **k))
    before = set(blob_store().keys())
    manifest = write_manifest(audio_dir, [
        manifest_row("good-1", "rec0.wav"),
        *(manifest_row(name.split(".")[0], name, customer=f"cust-{name}") for name in bombs),
        manifest_row("good-2", "rec1.wav", customer="cust-0002"),
    ])
    report = ingest_manifest(manifest, audio_dir, controller)
    for name, (*_, reason) in bombs.items():
        row = outcome(report, name.split(".")[0])
        assert row.status == "rejected", row
        assert row.reason.startswith(f"audio '{name}' refused before decoding:") and reason in row.reason
    assert "would decode to 439 MiB (limit 256 MiB)" in outcome(report, "fast").reason
    assert {r.recording_id for r in report.rows if r.status == "accepted"} == {"good-1", "good-2"}
    good = {sf.info(str(audio_dir / name)).frames for name in ("rec0.wav", "rec1.wav")}
    assert decoded and set(decoded) == good  # only the good files were ever decoded (ingestion, pipeline)
    # Nothing of a refused row is stored: no recording, no customer key, no ciphertext.
    assert set(Recording.objects.values_list("external_id", flat=True)) == {"good-1", "good-2"}
    assert CustomerKey.objects.count() == 2
    stored = {str(pk) for pk in Recording.objects.values_list("id", flat=True)}
    assert {key.split("/")[1] for key in set(blob_store().keys()) - before} <= stored
    batch = IngestBatch.objects.get()
    assert (batch.accepted, batch.rejected) == (2, 3)


def test_every_invalid_field_is_named(controller, audio_dir):
    rows = [
        manifest_row("f-1", "rec0.wav", locale="english"),
        manifest_row("f-2", "rec0.wav", region="Britain"),
        manifest_row("f-3", "rec0.wav", source="radio"),
        manifest_row("f-4", "rec0.wav", activation="shout"),
        manifest_row("f-5", "rec0.wav", captured_at="yesterday"),
        manifest_row("f-6", "rec0.wav", captured_at="2026-03-01T12:00:00"),
        manifest_row("f-7", "missing.wav"),
        manifest_row("f-8", "../outside.wav"),
        manifest_row("f-9", "/etc/passwd"),
        manifest_row("f-10", "rec0.wav", customer=""),
        manifest_row("f-11", "rec0.wav", consent="maybe"),
    ]
    report = ingest_manifest(write_manifest(audio_dir, rows), audio_dir, controller)
    reasons = {row.recording_id: row.reason for row in report.rows}
    assert all(row.status == "rejected" for row in report.rows)
    assert reasons["f-1"].startswith("locale")
    assert reasons["f-2"].startswith("region")
    assert reasons["f-3"].startswith("source")
    assert reasons["f-4"].startswith("activation")
    assert reasons["f-5"].startswith("captured_at")
    assert "time zone" in reasons["f-6"]
    assert "not found" in reasons["f-7"]
    assert "'..'" in reasons["f-8"]
    assert "absolute" in reasons["f-9"]
    assert reasons["f-10"].startswith("customer_id")
    assert reasons["f-11"].startswith("consent")
    assert Recording.objects.count() == 0
    assert IngestBatch.objects.count() == 0  # nothing accepted: no batch, no half-applied state


def test_a_misspelt_column_refuses_the_whole_csv_before_any_row_is_ingested(controller, audio_dir, settings):
    """Issue 15, finding 7: spelled `accidentl`, the accidental flag was ignored and the
    accidental activation queued for human ears. The header is refused, once, with the
    closest known name, and nothing of the manifest is applied."""
    manifest = audio_dir / "manifest.csv"
    with manifest.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=[*MANIFEST_FIELDS, "accidentl"])
        writer.writeheader()
        writer.writerow(manifest_row("fine-1", "rec0.wav") | {"accidentl": "false"})
        writer.writerow(manifest_row("woke-by-mistake", "rec1.wav") | {"accidentl": "true"})

    def blobs():  # the worker's blob folder outlives each test's rolled-back database
        return sorted(p for p in Path(settings.DATA_DIR, "blobs").rglob("*") if p.is_file())

    before = blobs()
    with pytest.raises(ManifestError) as refused:
        ingest_manifest(manifest, audio_dir, controller)
    message = str(refused.value)
    assert message == "manifest.csv: header (line 1): accidentl: unknown column (did you mean `accidental`?)"
    assert Recording.objects.count() == 0 and IngestBatch.objects.count() == 0
    assert blobs() == before


def test_an_unknown_key_refuses_its_jsonl_row_by_line_and_key(controller, audio_dir):
    manifest = write_manifest(audio_dir, [
        manifest_row("fine-1", "rec0.wav"),
        manifest_row("woke-by-mistake", "rec1.wav", accidentl=True, devcie="kitchen"),
    ], name="batch.jsonl")
    report = ingest_manifest(manifest, audio_dir, controller)
    refused = outcome(report, "woke-by-mistake")
    assert (refused.status, refused.line) == ("rejected", 2)
    assert "accidentl: unknown field (did you mean `accidental`?)" in refused.reason
    assert "devcie: unknown field" in refused.reason
    assert outcome(report, "fine-1").status == "accepted"
    assert list(Recording.objects.values_list("external_id", flat=True)) == ["fine-1"]
    assert any(line.startswith("  rejected  row 2 (woke-by-mistake): accidentl: unknown field")
               for line in report.lines())


def test_every_problem_of_a_row_is_reported_not_only_the_first(controller, audio_dir):
    manifest = write_manifest(audio_dir, [
        manifest_row("two-problems", "rec0.wav", customer="", locale="xx"),
        manifest_row("many-problems", "", consent="maybe", region="Britain", captured_at="yesterday"),
    ])
    report = ingest_manifest(manifest, audio_dir, controller)
    assert outcome(report, "two-problems").reason == "customer_id: missing; locale: 'xx' is not a locale like en-GB"
    assert "row 2 (two-problems): customer_id: missing; locale: 'xx' is not a locale like en-GB" in "\n".join(
        report.lines())
    many = outcome(report, "many-problems").reason
    assert [part.split(":")[0] for part in many.split("; ")] == ["audio_path", "region", "consent", "captured_at"]
    assert Recording.objects.count() == 0


def test_symlink_out_of_the_audio_folder_is_refused(controller, audio_dir, tmp_path):
    outside = tmp_path / "elsewhere.wav"
    outside.write_bytes((audio_dir / "rec0.wav").read_bytes())
    (audio_dir / "link.wav").symlink_to(outside)
    report = ingest_manifest(write_manifest(audio_dir, [manifest_row("s-1", "link.wav")]), audio_dir, controller)
    assert report.rows[0].status == "rejected" and "outside the audio folder" in report.rows[0].reason


def test_reingesting_the_same_manifest_changes_nothing(controller, audio_dir):
    manifest = write_manifest(audio_dir, [
        manifest_row("r-1", "rec0.wav"), manifest_row("r-2", "rec1.wav", customer="cust-0002"),
    ], name="batch.jsonl")
    first = ingest_manifest(manifest, audio_dir, controller)
    assert first.count("accepted") == 2

    def state():
        return (
            sorted(Recording.objects.values_list("id", "status", "blob_key")),
            sorted(Snippet.objects.values_list("id", "blob_key")),
            Task.objects.count(), CustomerKey.objects.count(), IngestBatch.objects.count(),
        )

    before = state()
    second = ingest_manifest(manifest, audio_dir, controller)
    assert [row.status for row in second.rows] == ["unchanged", "unchanged"]
    assert state() == before


def test_duplicate_recording_id_inside_one_manifest_is_refused(controller, audio_dir):
    manifest = write_manifest(audio_dir, [manifest_row("d-1", "rec0.wav"), manifest_row("d-1", "rec1.wav")])
    report = ingest_manifest(manifest, audio_dir, controller)
    assert [row.status for row in report.rows] == ["accepted", "rejected"]
    assert "duplicate of row 2" in report.rows[1].reason


def test_customer_ids_are_pseudonymised(controller, ingested):
    pseudonyms = set(CustomerKey.objects.values_list("pseudonym", flat=True))
    assert len(pseudonyms) == 2
    assert not any("cust-000" in p for p in pseudonyms)
    assert all(p.startswith("c_") and len(p) == 42 for p in pseudonyms)


def test_pipeline_cuts_snippets_of_at_most_ten_seconds_and_drops_the_raw_audio(ingested, settings):
    recordings = Recording.objects.all()
    assert all(r.status == "processed" and r.raw_deleted_at and not r.blob_key for r in recordings)
    snippets = list(Snippet.objects.all())
    assert len(snippets) >= 4
    assert all(0 < s.duration_seconds <= 10.0 for s in snippets)
    assert Task.objects.filter(status="queued").count() == len(snippets)
    from quietroom.content import blob_store

    keys = set(blob_store().keys())
    # The blob store is shared by the whole test session: look at this test's recordings only.
    assert not any(f"recordings/{r.id}" in keys for r in recordings)
    assert {s.blob_key for s in snippets} <= keys


AUDIO_MAGIC = (b"RIFF", b"fLaC", b"OggS", b"ID3", b"\xff\xfb")


def _pcm_fingerprints(samples: np.ndarray) -> list[bytes]:
    """Slices of the audio as it would sit on disk in the clear (16-bit PCM, 16 kHz), one a second."""
    pcm16 = (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()
    loud = np.flatnonzero(np.abs(samples) > 0.05)
    return [pcm16[i * 2:i * 2 + 48] for i in loud[:: 16000]]


def _entropy_bits_per_byte(data: bytes) -> float:
    counts = np.bincount(np.frombuffer(data, dtype=np.uint8), minlength=256).astype(float)
    p = counts[counts > 0] / len(data)
    return float(-(p * np.log2(p)).sum())


def test_no_plaintext_audio_anywhere_under_the_data_folder(ingested, speech, settings):
    files = [p for p in Path(settings.DATA_DIR).rglob("*") if p.is_file()]
    blobs = [p for p in files if "blobs" in p.parts]
    assert blobs, "expected blobs under the data folder"
    fingerprints = [fp for samples, _rate, _ in speech for fp in _pcm_fingerprints(samples)]
    assert len(fingerprints) >= 4
    for path in files:
        data = path.read_bytes()
        assert not data.startswith(AUDIO_MAGIC), f"{path} looks like an audio file"
        for fp in fingerprints:
            assert fp not in data, f"{path} holds raw PCM of an ingested recording"
    for path in blobs:
        # Ciphertext is indistinguishable from random bytes; audio (even compressed) is not.
        assert _entropy_bits_per_byte(path.read_bytes()) > 7.9, f"{path} does not look encrypted"


def test_a_database_failure_leaves_no_orphaned_ciphertext(controller, audio_dir, monkeypatch):
    from quietroom.content import blob_store

    def explode(self, *args, **kwargs):
        raise RuntimeError("database went away")

    before = {k for k in blob_store().keys() if k.startswith("recordings/")}  # other tests' leftovers
    monkeypatch.setattr(Recording, "save", explode)
    manifest = write_manifest(audio_dir, [manifest_row("x-1", "rec0.wav")])
    with pytest.raises(RuntimeError):
        ingest_manifest(manifest, audio_dir, controller)
    assert {k for k in blob_store().keys() if k.startswith("recordings/")} == before


@pytest.mark.parametrize("fmt", ["flac", "ogg", "mp3"])
def test_compressed_formats_are_ingested(controller, tmp_path, speech, fmt):
    if fmt == "mp3" and "MP3" not in sf.available_formats():
        pytest.skip("this libsndfile has no MP3 support")
    folder = tmp_path / fmt
    folder.mkdir()
    samples, rate, _ = speech[0]
    testspeech.write_audio(folder / f"a.{fmt}", samples, rate, fmt)
    report = ingest_manifest(write_manifest(folder, [manifest_row(f"c-{fmt}", f"a.{fmt}")]), folder, controller)
    assert report.rows[0].status == "accepted", report.rows[0].reason
    assert Snippet.objects.filter(recording__external_id=f"c-{fmt}").count() >= 2
