import os
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Run a Celery worker for pipeline jobs (needs REDIS_URL)."

    def add_arguments(self, parser):
        parser.add_argument("--concurrency", type=int, default=1, help="pipeline jobs run at once by this worker (default %(default)s)")

    def handle(self, *args, **opts):
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("REDIS_URL is not set: jobs run in-process, no worker is needed")
        command = [sys.executable, "-m", "celery", "-A", "quietroom.celery", "worker",
                   "--loglevel", "INFO", "--concurrency", str(opts["concurrency"])]
        os.execv(command[0], command)
