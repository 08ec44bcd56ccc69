from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from quietroom.accounts import services
from quietroom.accounts.models import User
from quietroom.audit.log import Actor

ROLES = (("officer", User.Role.PRIVACY_OFFICER), ("admin", User.Role.CONTROLLER_ADMIN),
         ("auditor", User.Role.AUDITOR))


class Command(BaseCommand):
    help = ("Set up a controller with its own people and print one single-use invitation link for each "
            "(printed, never e-mailed). At least one privacy officer with an e-mail address is required: "
            "they receive the controller's escalations.")

    def add_arguments(self, parser):
        parser.add_argument("name", help="the controller's organisation name")
        parser.add_argument("--officer", nargs=2, action="append", default=[], metavar=("USERNAME", "EMAIL"),
                            help="a privacy officer (escalation staff); repeatable; at least one")
        parser.add_argument("--admin", nargs=2, action="append", default=[], metavar=("USERNAME", "EMAIL"),
                            help="a controller admin (EMAIL may be ''); repeatable")
        parser.add_argument("--auditor", nargs=2, action="append", default=[], metavar=("USERNAME", "EMAIL"),
                            help="an auditor (EMAIL may be ''); repeatable")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000",
                            help="the address people open QuietRoom at, for the printed links (default %(default)s)")

    def handle(self, *args, **opts):
        staff = [services.NewStaff(username, role, email)
                 for option, role in ROLES for username, email in opts[option]]
        actor = Actor(name="cli", role="controller_admin")
        base = opts["base_url"].rstrip("/")
        try:
            with transaction.atomic():  # the controller, its people and their links, or nothing
                _, people = services.set_up_controller(opts["name"], staff, actor=actor)
                links = [(person, services.issue_invitation(actor, person)) for person in people]
        except ValidationError as exc:
            raise CommandError("controller not set up:\n  " + "\n  ".join(exc.messages)) from None
        for person, token in links:
            self.stdout.write(f"{person.username} ({person.get_role_display()}): {base}/accounts/invite/{token}/")
