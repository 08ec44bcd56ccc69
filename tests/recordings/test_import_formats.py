"""Importers: Common Voice, Hugging Face audiofolder, Label Studio and S3 sources, through the
one ingestion path (validation, pseudonymisation, encryption, idempotency)."""
from __future__ import annotations

import io
from pathlib import Path

import boto3
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from quietroom.audit.log import Actor
from quietroom.audit.models import AuditEvent
from quietroom.exports.imports import import_dataset
from quietroom.exports.models import ImportRun
from quietroom.recordings.importers import ImportOptions
from quietroom.recordings.importers.sources import LocalSource, S3Source
from quietroom.recordings.manifest import ManifestError
from quietroom.recordings.models import CustomerKey, Recording

from tests.exports.interop_fixtures import audiofolder, common_voice_release, label_studio_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def speech():
    """Two one-utterance recordings: these tests are about formats, not the pipeline."""
    from quietroom import testspeech

    return [testspeech.make_conversation(1, seed=s) for s in (21, 22)]
CV_BASIS = "Common Voice CC0 contributor consent, release 17"
ACTOR = Actor(name="test", role="controller_admin")


def run_import(fmt, manifest: Path, root: Path, controller, **options):
    options.setdefault("region", "GB")
    return import_dataset(fmt, manifest.name, manifest.read_bytes(), LocalSource(root), controller,
                          ImportOptions(**options), actor=ACTOR)


def test_common_voice_tsv_imports_with_locale_refined_and_consent_basis_recorded(controller, speech, tmp_path):
    tsv = common_voice_release(tmp_path / "cv", speech)
    run = run_import("commonvoice", tsv, tmp_path / "cv", controller, consent_basis=CV_BASIS, locale="en-GB")
    assert (run.accepted, run.rejected) == (2, 0), run.rows
    recordings = Recording.objects.order_by("external_id")
    assert [r.external_id for r in recordings] == ["common_voice_en_0.mp3", "common_voice_en_1.mp3"]
    assert {r.locale for r in recordings} == {"en-GB"} and {r.region for r in recordings} == {"GB"}
    # client_id is pseudonymised at the door like any customer id.
    assert all(not p.startswith("a" * 8) for p in CustomerKey.objects.values_list("pseudonym", flat=True))
    assert run.consent_basis == CV_BASIS and run.batch_id is not None
    event = AuditEvent.objects.get(action="import.run")
    assert event.details["consent_basis"] == CV_BASIS and event.details["accepted"] == 2
    again = run_import("commonvoice", tsv, tmp_path / "cv", controller, consent_basis=CV_BASIS, locale="en-GB")
    assert (again.accepted, again.unchanged) == (0, 2)
    assert Recording.objects.count() == 2


def test_common_voice_needs_an_explicit_consent_basis(controller, speech, tmp_path):
    tsv = common_voice_release(tmp_path / "cv", speech)
    with pytest.raises(ManifestError, match="consent basis"):
        run_import("commonvoice", tsv, tmp_path / "cv", controller, locale="en-GB")
    assert Recording.objects.count() == 0 and ImportRun.objects.count() == 0
    with pytest.raises(CommandError, match="consent"):
        call_command("import", str(tsv), "--format", "commonvoice", "--controller", controller.name,
                     "--locale", "en-GB", "--region", "GB")


def test_common_voice_language_codes_need_a_matching_locale(controller, speech, tmp_path):
    base = {"client_id": "c1", "up_votes": "1", "down_votes": "0", "sentence": "x"}
    tsv = common_voice_release(tmp_path / "cv", speech, rows=[
        base | {"path": "common_voice_en_0.mp3", "locale": "fr"},
        base | {"path": "common_voice_en_1.mp3", "locale": "en", "client_id": ""},
    ])
    run = run_import("commonvoice", tsv, tmp_path / "cv", controller, consent_basis=CV_BASIS, locale="en-GB")
    reasons = {row["recording_id"] or row["line"]: row["reason"] for row in run.rows}
    assert run.accepted == 0
    assert any("'fr' does not match the default locale en-GB" in r for r in reasons.values())
    assert reasons["common_voice_en_1.mp3"].startswith("client_id: missing")
    no_default = run_import("commonvoice", tsv, tmp_path / "cv", controller, consent_basis=CV_BASIS)
    assert any("language code" in row["reason"] for row in no_default.rows)


def test_audiofolder_csv_and_jsonl_with_a_configured_speaker_column(controller, speech, tmp_path):
    csv_meta = audiofolder(tmp_path / "af", speech)
    run = run_import("audiofolder", csv_meta, tmp_path / "af", controller, consent_basis="vendor contract 2026-04",
                     locale="en-US", customer_column="speaker_id")
    assert run.accepted == 2, run.rows
    assert set(Recording.objects.values_list("external_id", flat=True)) == {"data/utt0.flac", "data/utt1.flac"}
    jsonl_meta = audiofolder(tmp_path / "af2", speech, jsonl=True,
                             rows=[{"file_name": "data/utt0.flac", "speaker_id": "spk-9", "id": "clip-a", "locale": "en-US"},
                                   {"file_name": "data/utt1.flac", "id": "clip-b"}])
    run2 = run_import("audiofolder", jsonl_meta, tmp_path / "af2", controller, consent_basis="vendor contract",
                      locale="en-US", customer_column="speaker_id", id_column="id")
    assert run2.accepted == 1
    missing = next(r for r in run2.rows if r["status"] == "rejected")
    assert missing["reason"] == "speaker_id: missing" and missing["line"] == 2


def test_label_studio_tasks_import(controller, speech, tmp_path):
    (tmp_path / "ls").mkdir()
    tasks = label_studio_tasks(tmp_path / "ls", speech)
    run = run_import("labelstudio", tasks, tmp_path / "ls", controller, consent_basis="annotation contract",
                     locale="en-US")
    assert run.accepted == 2, run.rows
    assert set(Recording.objects.values_list("external_id", flat=True)) == {"100", "101"}


def test_a_plain_label_studio_export_is_refused_once_with_the_option_to_use(controller, speech, tmp_path):
    """A Label Studio export keeps the speaker under its own name (here speaker_id); every task
    used to be refused with "data.customer_id: missing" and no word of --customer-column."""
    import json

    root = tmp_path / "ls"
    root.mkdir()
    tasks = json.loads(label_studio_tasks(root, speech).read_text())
    for task in tasks:
        task["data"]["speaker_id"] = task["data"].pop("customer_id")
    plain = root / "project-1-at-2026-05-01.json"
    plain.write_text(json.dumps(tasks))
    with pytest.raises(CommandError) as refused:
        call_command("import", str(plain), "--format", "labelstudio", "--controller", controller.name,
                     "--consent-basis", "annotation contract", "--locale", "en-US", "--region", "GB")
    message = str(refused.value)
    assert message.startswith("project-1-at-2026-05-01.json: data.customer_id: missing in every task")
    assert message.count("--customer-column") == 2  # the option, and the likely field
    assert "pass --customer-column NAME" in message and "here perhaps --customer-column speaker_id" in message
    assert "Fields found: audio, speaker_id" in message and "cust-0" not in message  # names, never values
    assert Recording.objects.count() == 0 and ImportRun.objects.count() == 0

    call_command("import", str(plain), "--format", "labelstudio", "--controller", controller.name,
                 "--consent-basis", "annotation contract", "--locale", "en-US", "--region", "GB",
                 "--customer-column", "speaker_id", stdout=io.StringIO())
    assert Recording.objects.count() == 2


def test_an_audiofolder_without_the_speaker_column_names_the_option(controller, speech, tmp_path):
    meta = audiofolder(tmp_path / "af", speech)  # its speaker column is speaker_id
    with pytest.raises(ManifestError, match=r"customer_id: missing in every row; nothing was imported.*"
                                            r"here perhaps --customer-column speaker_id"):
        run_import("audiofolder", meta, tmp_path / "af", controller, consent_basis="x", locale="en-US")
    assert Recording.objects.count() == 0


@pytest.mark.parametrize("bad_path, reason", [
    ("../outside.wav", "'..' is not allowed"),
    ("/etc/passwd", "absolute paths are not allowed"),
    ("link.wav", "outside the audio folder"),
])
def test_paths_outside_the_source_root_are_refused(controller, speech, tmp_path, bad_path, reason):
    root = tmp_path / "af"
    meta = audiofolder(root, speech, rows=[{"file_name": bad_path, "speaker_id": "s1"}])
    secret = tmp_path / "outside.wav"
    secret.write_bytes((root / "data" / "utt0.flac").read_bytes())
    (root / "link.wav").symlink_to(secret)
    run = run_import("audiofolder", meta, root, controller, consent_basis="x", locale="en-US",
                     customer_column="speaker_id")
    assert run.accepted == 0 and run.rows[0]["status"] == "rejected"
    assert run.rows[0]["reason"].startswith("audio_path") and reason in run.rows[0]["reason"]
    assert Recording.objects.count() == 0


def test_common_voice_from_an_s3_prefix_on_a_real_s3_server(controller, speech, tmp_path, s3_endpoint, s3_bucket,
                                                            settings):
    settings.QUIETROOM_S3_ENDPOINT_URL = s3_endpoint
    tsv = common_voice_release(tmp_path / "cv", speech)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1")
    for path in (tmp_path / "cv").rglob("*"):
        if path.is_file():
            client.put_object(Bucket=s3_bucket, Key=f"releases/en/{path.relative_to(tmp_path / 'cv')}",
                              Body=path.read_bytes())
    source = S3Source(f"s3://{s3_bucket}/releases/en")
    manifest = source.read("validated.tsv", 1 << 20)
    assert manifest == tsv.read_bytes()
    run = import_dataset("commonvoice", "validated.tsv", manifest, source, controller,
                         ImportOptions(consent_basis=CV_BASIS, locale="en-GB", region="GB"), actor=ACTOR)
    assert run.accepted == 2, run.rows
    assert run.source == f"s3://{s3_bucket}/releases/en"
    with pytest.raises(ValueError, match="'..'"):
        source.read("../other/validated.tsv", 1 << 20)
    with pytest.raises(ValueError, match="not found"):
        source.read("missing.tsv", 1 << 20)


def test_import_command_prints_the_report(controller, speech, tmp_path, capsys):
    tsv = common_voice_release(tmp_path / "cv", speech)
    call_command("import", str(tsv), "--format", "commonvoice", "--controller", controller.name,
                 "--consent-basis", CV_BASIS, "--locale", "en-GB", "--region", "GB")
    out = capsys.readouterr().out
    assert "accepted 2, rejected 0, unchanged 0" in out
    assert Recording.objects.count() == 2
