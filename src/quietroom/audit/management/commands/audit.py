from django.core.management.base import BaseCommand, CommandError

from quietroom.audit.log import verify


class Command(BaseCommand):
    help = "Audit log tools: `quietroom audit verify`."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **opts):
        result = verify()
        if not result.ok:
            raise CommandError(f"audit log broken at entry {result.first_bad_seq}: {result.reason}")
        self.stdout.write(f"audit log intact: {result.checked} entries")
