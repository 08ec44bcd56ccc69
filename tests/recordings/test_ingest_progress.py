"""Live progress of `quietroom ingest` and `import`: one line per recording as its pipeline job
finishes (plain lines when the output is not a terminal), not everything at once at the end."""
from __future__ import annotations

import io
import os
import re
import select

import pytest
from django.core.management import call_command
from django.core.management.base import OutputWrapper

from quietroom import testspeech
from quietroom.ops.progress import Progress
from quietroom.recordings.models import Recording
from tests.conftest import manifest_row, write_manifest

pytestmark = pytest.mark.django_db

N = 20


@pytest.fixture
def twenty(tmp_path):
    """20 short recordings (one prompt each) and their manifest."""
    folder = tmp_path / "audio"
    folder.mkdir()
    samples, rate, _ = testspeech.make_conversation(1, seed=31)
    testspeech.write_audio(folder / "clip.wav", samples, rate, "wav")
    rows = [manifest_row(f"clip-{i:02d}", "clip.wav", customer=f"cust-{i % 4}") for i in range(1, N + 1)]
    rows.append(manifest_row("no-consent", "clip.wav", consent="false"))
    return write_manifest(folder, rows)


class Witness(io.StringIO):
    """Captured output that notes, with every pipeline line, how many recordings were processed
    at the moment it was written: a line per recording as it completes counts 1, 2, ... N."""

    def __init__(self):
        super().__init__()
        self.processed_when_written: list[int] = []

    def write(self, text):
        if text.startswith("pipeline "):
            self.processed_when_written.append(Recording.objects.filter(status="processed").count())
        return super().write(text)


def test_ingest_wait_prints_a_line_per_recording_as_it_finishes(controller, twenty):
    out = Witness()
    call_command("ingest", str(twenty), "--controller", controller.name, "--wait", stdout=out)
    text = out.getvalue()
    lines = text.splitlines()
    pipeline = [line for line in lines if line.startswith("pipeline ")]
    assert len(pipeline) == N, text
    for i in range(1, N + 1):
        assert any(re.fullmatch(rf"pipeline \d+/{N}: clip-{i:02d} processed, \d+ snippets?", line)
                   for line in pipeline), (i, pipeline)
    # Printed as each job finished, not collected and printed at the end.
    assert out.processed_when_written == list(range(1, N + 1))
    assert [int(line.split()[1].split("/")[0]) for line in pipeline] == list(range(1, N + 1))
    # Rows first (as decided), the refused one with its reason; then the summary and the batch.
    assert lines[0] == "manifest manifest.csv"
    assert any("rejected  row 22 (no-consent): consent" in line for line in lines[:N + 2])
    assert f"accepted {N}, rejected 1, unchanged 0" in lines
    # Said before the first job runs (it waits for the models to load), not only after.
    assert lines.index(f"de-identifying {N} recording(s) (the first waits for the models to load; with workers "
                       "they are queued)") < lines.index(pipeline[0])
    assert "\r" not in text  # no bar redraws in captured output


def test_the_import_command_shows_the_same_progress(controller, twenty):
    out = io.StringIO()
    call_command("import", str(twenty), "--format", "quietroom", "--controller", controller.name, stdout=out)
    pipeline = [line for line in out.getvalue().splitlines() if line.startswith("pipeline ")]
    assert len(pipeline) == N and pipeline[-1].startswith(f"pipeline {N}/{N}: ")
    assert out.getvalue().count("accepted  row") == N  # each row once, not again in the final report


def test_on_a_terminal_the_progress_is_a_bar_redrawn_in_place():
    leader, follower = os.openpty()
    with os.fdopen(follower, "w") as terminal:
        out = OutputWrapper(terminal)
        assert out.isatty()
        with Progress(out, 3, "pipeline", unit="rec") as progress:
            for name in ("a", "b", "c"):
                progress.step(f"clip-{name} processed")
        terminal.flush()
        # A pty hands written bytes to the reading side asynchronously (a kernel worker): on a
        # busy machine one read may see only the first redraw. Read until the end or 10 s.
        drawn = ""
        while "3/3" not in drawn and select.select([leader], [], [], 10)[0]:
            drawn += os.read(leader, 65536).decode()
    os.close(leader)
    assert "\r" in drawn and "3/3" in drawn and "pipeline" in drawn


def test_with_workers_wait_reports_what_they_finish_since_it_last_looked(controller, twenty):
    from quietroom.recordings.models import IngestBatch
    from quietroom.recordings.progress import finished_recordings

    call_command("ingest", str(twenty), "--controller", controller.name, stdout=io.StringIO())
    batch = IngestBatch.objects.get()
    Recording.objects.filter(external_id__in=["clip-03", "clip-04"]).update(status="received")  # still at a worker
    finished, waiting = finished_recordings(str(batch.id), already={"clip-01", "clip-02"})
    assert waiting == 2
    assert [r.recording_id for r in finished] == [f"clip-{i:02d}" for i in range(5, N + 1)]
    assert all(r.status == "processed" and r.snippets >= 1 for r in finished)
