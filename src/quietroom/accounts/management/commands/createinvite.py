from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from quietroom.accounts.invitations import create_invitation
from quietroom.accounts.models import Organisation, Site, User
from quietroom.accounts.services import clean_email
from quietroom.audit.log import Actor, record


class Command(BaseCommand):
    help = ("Create a single-use invitation link (the invitee chooses their own password). The link is "
            "printed, never e-mailed; --email is where notices (and, for privacy officers, new "
            "escalation cases) will go.")

    def add_arguments(self, parser):
        parser.add_argument("username", help="the new account's user name (the invitee chooses the password)")
        parser.add_argument("--org", required=True, help="organisation name")
        parser.add_argument("--site", help="site name (required for reviewers)")
        parser.add_argument("--role", default="reviewer", choices=[r.value for r in User.Role],
                            help="what the person does in QuietRoom (default %(default)s)")
        parser.add_argument("--locale", action="append", default=[], help="language qualification, repeatable")
        parser.add_argument("--email", default="", help="the person's work address, stored when they accept "
                                                        "(required for a new privacy officer)")
        parser.add_argument("--base-url", default="http://127.0.0.1:8000",
                            help="the address people open QuietRoom at, for the printed link (default %(default)s)")

    def handle(self, *args, **opts):
        try:
            org = Organisation.objects.get(name=opts["org"])
        except Organisation.DoesNotExist as exc:
            raise CommandError(f"no organisation named {opts['org']!r}") from exc
        try:
            email = clean_email(opts["email"])
        except ValidationError as exc:
            raise CommandError(f"--email: {exc.messages[0]}") from None
        site = None
        if opts["site"]:
            site = Site.objects.filter(organisation=org, name=opts["site"]).first()
            if site is None:
                raise CommandError(f"organisation {org.name!r} has no site named {opts['site']!r}")
        elif opts["role"] == "reviewer":
            raise CommandError("reviewers work at a site: give --site")
        existing = User.objects.filter(username=opts["username"]).first()
        if existing is not None and existing.has_second_factor:
            raise CommandError(f"user {opts['username']!r} is already active")
        if opts["role"] == User.Role.PRIVACY_OFFICER and not (email or (existing and existing.email)):
            # New cases are e-mailed to the controller's privacy officers; one without an
            # address would learn of a critical case only by chance.
            raise CommandError("privacy officers receive escalations by e-mail: give --email")
        invitation, token = create_invitation(
            organisation=org, username=opts["username"], role=opts["role"], site=site, locales=opts["locale"],
            email=email,
        )
        record(Actor(name="cli", role="controller_admin"), "invitation.created", object_type="invitation",
               object_id=invitation.pk, details={"role": opts["role"], "email": bool(email)})
        self.stdout.write(f"{opts['base_url'].rstrip('/')}/accounts/invite/{token}/")
