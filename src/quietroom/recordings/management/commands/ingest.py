from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from quietroom.accounts.models import Organisation
from quietroom.recordings.ingest import ingest_manifest
from quietroom.recordings.manifest import ManifestError


class Command(BaseCommand):
    help = "Ingest a manifest (CSV or JSONL) and its folder of audio files."

    def add_arguments(self, parser):
        parser.add_argument("manifest", type=Path, help="the manifest file, CSV or JSONL (docs/ingestion.md)")
        parser.add_argument("--audio-dir", type=Path, help="folder holding the audio (default: the manifest's folder)")
        parser.add_argument("--controller", required=True, help="name of the controller organisation")
        parser.add_argument("--wait", action="store_true",
                            help="show a progress bar until the pipeline has finished the batch (with workers)")

    def handle(self, *args, **opts):
        manifest = opts["manifest"]
        if not manifest.is_file():
            raise CommandError(f"manifest not found: {manifest}")
        try:
            controller = Organisation.objects.get(name=opts["controller"], kind=Organisation.Kind.CONTROLLER)
        except Organisation.DoesNotExist as exc:
            raise CommandError(f"no controller organisation named {opts['controller']!r}") from exc
        try:
            report = ingest_manifest(manifest, opts["audio_dir"] or manifest.parent, controller)
        except ManifestError as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines():
            self.stdout.write(line)
        if opts["wait"] and report.batch_id:
            from django.core.management import call_command

            call_command("batch_status", report.batch_id, "--follow", stdout=self.stdout)
