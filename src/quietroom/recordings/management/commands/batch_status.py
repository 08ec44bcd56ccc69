import time

from django.core.management.base import BaseCommand, CommandError

from quietroom.recordings.models import IngestBatch
from quietroom.recordings.progress import BatchNotFound, batch_progress, find_batch


class Command(BaseCommand):
    help = "Show the pipeline progress of ingestion batches (a progress bar); --follow until done."

    def add_arguments(self, parser):
        parser.add_argument("batch", nargs="?",
                            help="a batch id or its first characters, as printed (default: the 10 most recent)")
        parser.add_argument("--follow", action="store_true", help="refresh until every recording is finished")
        parser.add_argument("--timeout", type=float, default=3600,
                            help="with --follow: give up after this many seconds (default 3600)")

    def handle(self, *args, **opts):
        batches = IngestBatch.objects.all()
        if opts["batch"]:
            try:
                batches = find_batch(batches, opts["batch"])
            except BatchNotFound as exc:
                raise CommandError(str(exc)) from None
        elif not batches.exists():
            self.stdout.write("no ingestion batches yet (quietroom ingest MANIFEST --controller NAME)")
            return
        deadline = time.monotonic() + opts["timeout"]
        while True:
            progress = batch_progress(batches)[:10]
            for p in progress:
                self.stdout.write(p.line())
            if not opts["follow"] or all(p.done for p in progress):
                return
            if time.monotonic() > deadline:
                raise CommandError("timed out before every recording was finished")
            time.sleep(2)
