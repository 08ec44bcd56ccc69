import time

from django.core.management.base import BaseCommand, CommandError

from quietroom.recordings.models import IngestBatch
from quietroom.recordings.progress import batch_progress


class Command(BaseCommand):
    help = "Show the pipeline progress of ingestion batches (a progress bar); --follow until done."

    def add_arguments(self, parser):
        parser.add_argument("batch", nargs="?", help="batch id (default: the 10 most recent)")
        parser.add_argument("--follow", action="store_true", help="refresh until every recording is finished")
        parser.add_argument("--timeout", type=float, default=3600)

    def handle(self, *args, **opts):
        batches = IngestBatch.objects.all()
        if opts["batch"]:
            batches = batches.filter(pk=opts["batch"])
            if not batches.exists():
                raise CommandError(f"no batch {opts['batch']}")
        deadline = time.monotonic() + opts["timeout"]
        while True:
            progress = batch_progress(batches)[:10]
            for p in progress:
                self.stdout.write(f"{p.batch_id} {p.manifest}: {p.bar()}")
            if not opts["follow"] or all(p.done for p in progress):
                return
            if time.monotonic() > deadline:
                raise CommandError("timed out before every recording was finished")
            time.sleep(2)
