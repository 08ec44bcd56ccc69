import os

from django.core.management.base import BaseCommand

from quietroom.ops.serving import gunicorn_command


class Command(BaseCommand):
    help = "Serve the web app with gunicorn."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
        parser.add_argument("--port", type=int, default=8000, help="port to listen on (default %(default)s)")
        parser.add_argument("--workers", type=int, help="gunicorn worker processes (default: one per core, plus one)")

    def handle(self, *args, **opts):
        command = gunicorn_command(opts["host"], opts["port"], opts["workers"])
        os.execv(command[0], command)
