import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quietroom.accounts.models import Organisation
from quietroom.ops.progress import IngestProgress
from quietroom.recordings.ingest import ingest_manifest
from quietroom.recordings.manifest import ManifestError
from quietroom.recordings.models import IngestBatch
from quietroom.recordings.progress import batch_progress, finished_recordings


class Command(BaseCommand):
    help = "Ingest a manifest (CSV or JSONL) and its folder of audio files."

    def add_arguments(self, parser):
        parser.add_argument("manifest", type=Path, help="the manifest file, CSV or JSONL (docs/ingestion.md)")
        parser.add_argument("--audio-dir", type=Path, help="folder holding the audio (default: the manifest's folder)")
        parser.add_argument("--controller", required=True, help="name of the controller organisation")
        parser.add_argument("--label", default="", help="a name for the batch on the batches page and in batch_status "
                            "(default: the manifest's file name and the batch's short id)")
        parser.add_argument("--wait", action="store_true",
                            help="with workers (REDIS_URL): stay until the pipeline has finished the batch, one "
                                 "line (or a bar, on a terminal) per recording as it finishes")
        parser.add_argument("--timeout", type=float, default=3600,
                            help="with --wait: give up waiting after this many seconds (default 3600)")

    def handle(self, *args, **opts):
        manifest = opts["manifest"]
        if not manifest.is_file():
            raise CommandError(f"manifest not found: {manifest}")
        try:
            controller = Organisation.objects.get(name=opts["controller"], kind=Organisation.Kind.CONTROLLER)
        except Organisation.DoesNotExist as exc:
            raise CommandError(f"no controller organisation named {opts['controller']!r}") from exc
        # Rows are printed as they are decided and recordings as the pipeline finishes them
        # (in-process, each job runs inside the ingestion), not all at once at the end.
        self.stdout.write(f"manifest {manifest.name}")
        progress = IngestProgress(self.stdout)
        try:
            report = ingest_manifest(manifest, opts["audio_dir"] or manifest.parent, controller, progress=progress,
                                     label=opts["label"])
        except ManifestError as exc:
            raise CommandError(str(exc)) from exc
        finally:
            progress.close()
        self.stdout.write(report.summary())
        if not report.batch_id:
            return
        if progress.queued and opts["wait"]:
            self._follow(report.batch_id, progress, opts["timeout"])
        elif progress.queued:
            self.stdout.write(f"{progress.queued} recording(s) queued for the workers; follow them with "
                              f"quietroom batch_status {report.batch_id[:8]} --follow (or ingest --wait)")
        for line in batch_progress(IngestBatch.objects.filter(pk=report.batch_id)):
            self.stdout.write(line.line())

    def _follow(self, batch_id: str, progress: IngestProgress, timeout: float) -> None:
        """Report each recording as a worker finishes it, until none is waiting."""
        deadline = time.monotonic() + timeout
        total = len(progress.finished) + progress.queued
        try:
            while True:
                finished, waiting = finished_recordings(batch_id, progress.finished)
                for recording in finished:
                    progress.recording_done(recording.recording_id, recording.status, recording.snippets, total)
                if not waiting:
                    return
                if time.monotonic() > deadline:
                    raise CommandError(f"timed out with {waiting} recording(s) still waiting for the pipeline")
                time.sleep(1)
        finally:
            progress.close()
