from datetime import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quietroom.accounts.models import Organisation
from quietroom.audit.log import Actor
from quietroom.exports.imports import import_dataset, report_lines
from quietroom.ops.progress import IngestProgress
from quietroom.recordings.importers import IMPORTERS, ImportOptions
from quietroom.recordings.importers.sources import SourceError, open_source, safe_relative_key
from quietroom.recordings.manifest import ManifestError


class Command(BaseCommand):
    help = ("Import a dataset: a QuietRoom manifest, a Common Voice TSV, a Hugging Face audiofolder "
            "metadata file or Label Studio tasks, with audio from a local folder or an S3 prefix.")

    def add_arguments(self, parser):
        parser.add_argument("manifest", help="manifest file, relative to --source (or a local path when --source is a folder)")
        parser.add_argument("--format", required=True, choices=sorted(IMPORTERS), help="the dataset's format")
        parser.add_argument("--controller", required=True, help="name of the controller organisation")
        parser.add_argument("--source", help="folder or s3://bucket/prefix holding the audio (default: the manifest's folder)")
        parser.add_argument("--consent-basis", default="", help="why these recordings may be processed (required for "
                            "formats without per-row consent); recorded on the batch")
        parser.add_argument("--locale", default="", help="default locale, e.g. en-GB (refines language codes like 'en')")
        parser.add_argument("--region", default="", help="customers' region, ISO country or EU")
        parser.add_argument("--recording-source", default="assistant", choices=["assistant", "call"],
                            help="what kind of product recorded the audio (default %(default)s)")
        parser.add_argument("--captured-at", type=datetime.fromisoformat, help="capture time when the format has none (ISO 8601 with zone)")
        parser.add_argument("--customer-column", default="customer_id", help="audiofolder/Label Studio: the speaker column")
        parser.add_argument("--id-column", default="", help="audiofolder: a column holding a stable recording id")
        parser.add_argument("--label", default="", help="a name for the batch on the batches page and in batch_status "
                            "(default: the manifest's file name and the batch's short id)")

    def handle(self, *args, **opts):
        try:
            controller = Organisation.objects.get(name=opts["controller"], kind=Organisation.Kind.CONTROLLER)
        except Organisation.DoesNotExist as exc:
            raise CommandError(f"no controller organisation named {opts['controller']!r}") from exc
        try:
            if opts["source"]:
                source = open_source(opts["source"])
                if opts["source"].startswith("s3://"):
                    name = safe_relative_key(opts["manifest"])
                    data = source.read(name, 64 * 1024 * 1024)
                else:
                    local = Path(opts["manifest"])
                    data = (local if local.is_file() else Path(opts["source"]) / safe_relative_key(opts["manifest"])).read_bytes()
                    name = local.name
            else:
                local = Path(opts["manifest"])
                if not local.is_file():
                    raise CommandError(f"manifest not found: {local}")
                source, data, name = open_source(str(local.parent)), local.read_bytes(), local.name
            options = ImportOptions(
                consent_basis=opts["consent_basis"], locale=opts["locale"], region=opts["region"].upper(),
                source=opts["recording_source"], captured_at=opts["captured_at"],
                customer_column=opts["customer_column"], id_column=opts["id_column"], label=opts["label"],
            )
            # Rows are printed as they are decided, recordings as the pipeline finishes them.
            self.stdout.write(f"{opts['format']} manifest {Path(name).name}")
            progress = IngestProgress(self.stdout)
            try:
                run = import_dataset(opts["format"], Path(name).name, data, source, controller, options,
                                     actor=Actor(name="cli", role="controller_admin"), progress=progress)
            finally:
                progress.close()
        except (ManifestError, SourceError, ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        for line in report_lines(run, rows=False):
            self.stdout.write(line)
        if progress.queued:
            self.stdout.write(f"{progress.queued} recording(s) queued for the workers; follow them with "
                              f"quietroom batch_status {str(run.batch_id)[:8]} --follow")
