"""`quietroom escalation deadlines`: remind on-call staff of cases near their deadline."""
from django.core.management.base import BaseCommand

from quietroom.escalation.notify import deadlines_near


class Command(BaseCommand):
    help = "Escalation jobs: 'deadlines' e-mails on-call staff about cases whose response deadline is near."

    def add_arguments(self, parser):
        parser.add_argument("job", choices=["deadlines"],
                            help="deadlines: e-mail on-call staff about cases whose response deadline is near")

    def handle(self, *args, job, **options):
        count = deadlines_near()
        self.stdout.write(f"reminders sent for {count} case(s)")
