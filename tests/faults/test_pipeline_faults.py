"""Faults in the pipeline's parts: a worker killed mid-job, the broker down, the blob store gone.

Each test runs its own Redis on a loopback port and real `celery worker` processes against the
test database; every wait is bounded.
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from quietroom import testspeech
from quietroom.audit.models import AuditEvent
from quietroom.recordings.models import CustomerKey, Recording, Snippet
from quietroom.review.models import Task
from tests.conftest import manifest_row, write_manifest
from tests.faults.conftest import subprocess_env

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.infrastructure]


def recording_of(folder: Path, name: str, utterances: int, seed: int) -> None:
    """One recording of `utterances` spoken turns: the pipeline makes a snippet of each."""
    samples, rate, _ = testspeech.make_conversation(utterances, seed=seed)
    testspeech.write_audio(folder / name, samples, rate, "flac")


def ingest_via_cli(manifest: Path, redis_url: str, controller) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "quietroom.cli", "ingest", str(manifest), "--controller", controller.name],
        env=subprocess_env(REDIS_URL=redis_url), capture_output=True, text=True, timeout=120,
    )


def wait_until(predicate, timeout: float, what: str, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def test_worker_killed_mid_recording_the_job_completes_elsewhere_exactly_once(
    controller, tmp_path, redis_instance, workers, settings
):
    folder = tmp_path / "audio"
    folder.mkdir()
    # Four turns, four snippets: the kill lands on the first snippet's file (polled every 2 ms),
    # three more are still to be written in the same transaction. Each worker de-identifies the
    # whole recording, so every turn more costs both workers its speech recognition (eight
    # turns took this test 66 s, four 46 s).
    recording_of(folder, "long.flac", 4, seed=100)
    result = ingest_via_cli(write_manifest(folder, [manifest_row("long-1", "long.flac")]), redis_instance.url, controller)
    assert result.returncode == 0 and "accepted  row 2" in result.stdout, result.stdout + result.stderr
    recording = Recording.objects.get(external_id="long-1")
    assert recording.status == "received"  # queued for a worker, not processed in-process

    snippet_dir = Path(settings.DATA_DIR) / "blobs" / "snippets" / str(recording.id)
    first = workers(redis_instance.url)
    # Kill the worker while it is writing the snippets (ciphertext on disk, transaction open).
    wait_until(lambda: snippet_dir.is_dir() and any(snippet_dir.iterdir()), 240, "the worker to start writing snippets", 0.002)
    first.kill9()
    recording.refresh_from_db()
    assert recording.status == "received", "the job finished before the kill; nothing was tested"
    assert not Snippet.objects.filter(recording=recording).exists()

    workers(redis_instance.url)  # a second worker picks the job up after the visibility timeout
    wait_until(lambda: Recording.objects.get(pk=recording.pk).status == "processed", 240, "redelivery and completion", 0.3)

    snippets = list(Snippet.objects.filter(recording=recording))
    assert len(snippets) >= 3 and sorted(s.index for s in snippets) == list(range(len(snippets)))
    assert Task.objects.filter(snippet__recording=recording).count() == len(snippets)
    from quietroom.content import blob_store

    stored = {k for k in blob_store().keys() if k.startswith(f"snippets/{recording.id}/")}
    assert stored == {s.blob_key for s in snippets}  # the killed attempt's blobs were overwritten, not added
    assert AuditEvent.objects.filter(action="recording.processed", object_id=str(recording.id)).count() == 1


def test_broker_down_ingestion_still_accepts_reviews_go_on_and_the_pipeline_resumes(
    controller, tmp_path, redis_instance, workers, ingested, make_reviewer, reviewer_client
):
    redis_instance.stop()
    folder = tmp_path / "later"
    folder.mkdir()
    samples, rate, _ = testspeech.make_conversation(3, seed=300)
    testspeech.write_audio(folder / "a.wav", samples, rate, "wav")
    started = time.monotonic()
    result = ingest_via_cli(write_manifest(folder, [manifest_row("while-down", "a.wav")]), redis_instance.url, controller)
    assert result.returncode == 0 and "accepted  row 2" in result.stdout, result.stdout + result.stderr
    assert time.monotonic() - started < 30  # publishing failed fast instead of hanging
    waiting = Recording.objects.get(external_id="while-down")
    assert waiting.status == "received"

    # The web app keeps serving reviews: next, stream and submit need no broker.
    client = reviewer_client(make_reviewer())
    response = client.post("/room/next/")
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    task_id = response["Location"].rstrip("/").rsplit("/", 1)[1]
    assert client.post(response["Location"], {"transcript": "still working", "idempotency_key": "b" * 32}).status_code == 302
    assert Task.objects.get(pk=task_id).status == "done"

    redis_instance.start()  # the broker returns on the same port
    # A worker is started with the broker (as a deployment's would be running): it starts up
    # while `requeue` does, and takes the recording as soon as it is queued.
    workers(redis_instance.url)
    requeue = subprocess.run(
        [sys.executable, "-m", "quietroom.cli", "requeue", "--older-than", "0"],
        env=subprocess_env(REDIS_URL=redis_instance.url), capture_output=True, text=True, timeout=60,
    )
    assert requeue.returncode == 0 and "queued 1 recording" in requeue.stdout, requeue.stdout + requeue.stderr
    wait_until(lambda: Recording.objects.get(pk=waiting.pk).status == "processed", 240, "the pipeline to resume", 0.3)
    assert Snippet.objects.filter(recording=waiting).count() >= 2


def test_unreachable_blob_store_is_a_clear_error_and_nothing_is_half_written(controller, audio_dir, settings):
    from quietroom.recordings.ingest import ingest_manifest

    settings.BLOB_URL = "s3://quietroom-blobs/p?endpoint=http://127.0.0.1:9"  # nothing listens on port 9
    manifest = write_manifest(audio_dir, [manifest_row("u-1", "rec0.wav"), manifest_row("u-2", "rec1.wav", customer="c2")])
    report = ingest_manifest(manifest, audio_dir, controller)
    assert [row.status for row in report.rows] == ["rejected", "rejected"]
    assert all("could not write blob" in row.reason and "unreachable" in row.reason for row in report.rows)
    assert Recording.objects.count() == 0 and CustomerKey.objects.count() == 0


def test_full_disk_is_a_clear_error_and_nothing_is_half_written(controller, audio_dir, monkeypatch, settings):
    import os

    from quietroom.recordings.ingest import ingest_manifest

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    blobs = Path(settings.DATA_DIR) / "blobs"

    def temp_files():
        return {p for p in blobs.rglob(".tmp*") if p.is_file()}

    before = temp_files()
    monkeypatch.setattr(os, "replace", disk_full)
    report = ingest_manifest(write_manifest(audio_dir, [manifest_row("f-1", "rec0.wav")]), audio_dir, controller)
    assert report.rows[0].status == "rejected" and "No space left on device" in report.rows[0].reason
    assert Recording.objects.count() == 0
    assert temp_files() == before  # the failed write left no partial file behind
