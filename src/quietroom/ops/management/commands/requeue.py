from django.core.management.base import BaseCommand

from quietroom.recordings.tasks import requeue_received


class Command(BaseCommand):
    help = "Queue again recordings still waiting for the pipeline (e.g. after a broker outage)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=int, default=60, help="seconds since arrival (default 60)")

    def handle(self, *args, **opts):
        self.stdout.write(f"queued {requeue_received(opts['older_than'])} recording(s)")
