from django.core.management.base import BaseCommand, CommandError

from quietroom.accounts.models import Organisation
from quietroom.api.models import SCOPES, ServiceAccount
from quietroom.api.tokens import TokenError, issue_token
from quietroom.audit.log import Actor, record


class Command(BaseCommand):
    help = "Create (or reuse) a service account of a controller and print a new API token once."

    def add_arguments(self, parser):
        parser.add_argument("name", help="service account name, e.g. training-pipeline")
        parser.add_argument("--org", required=True, help="controller organisation name")
        parser.add_argument("--scopes", required=True, help=f"comma-separated: {', '.join(SCOPES)}")
        parser.add_argument("--days", type=int, default=90, help="lifetime in days (1-365, default 90)")

    def handle(self, *args, **opts):
        org = Organisation.objects.filter(name=opts["org"], kind="controller").first()
        if org is None:
            raise CommandError(f"no controller organisation named {opts['org']!r}")
        scopes = sorted({s.strip() for s in opts["scopes"].split(",") if s.strip()})
        unknown = sorted(set(scopes) - set(SCOPES))
        if unknown or not scopes:
            raise CommandError(f"unknown or no scopes: {', '.join(unknown) or '-'} (use {', '.join(SCOPES)})")
        account, _ = ServiceAccount.objects.get_or_create(organisation=org, name=opts["name"],
                                                          defaults={"scopes": scopes})
        if account.scopes != scopes:
            account.scopes = scopes
            account.save(update_fields=["scopes"])
        try:
            plain, row = issue_token(account, days=opts["days"])
        except TokenError as exc:
            raise CommandError(str(exc)) from exc
        record(Actor(name="cli", role="controller_admin"), "api.token.create", object_type="api_token",
               object_id=row.pk, details={"account": account.name, "scopes": scopes, "prefix": row.prefix,
                                          "expires_at": row.expires_at.isoformat()})
        self.stderr.write(f"token for {account} (scopes {', '.join(scopes)}), expires {row.expires_at:%Y-%m-%d}; "
                          "shown once, store it now:")
        self.stdout.write(plain)
