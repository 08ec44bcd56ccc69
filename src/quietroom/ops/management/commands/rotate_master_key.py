from django.core.management.base import BaseCommand, CommandError

from quietroom import content, vault


class Command(BaseCommand):
    help = (
        "Re-wrap every customer key and second-factor seed under the configured master key "
        "(QUIETROOM_KEY_PROVIDER). "
        "Give the previous master key's provider URL. Resumable: rerun after an interruption."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="old", required=True, help="provider URL of the previous master key")

    def handle(self, *args, **opts):
        try:
            old = vault.provider_from_url(opts["old"])
        except vault.KeyProviderError as exc:
            raise CommandError(str(exc)) from exc
        seeds = content.rewrap_account_secrets(old)
        moved = content.rewrap_customer_keys(old)
        self.stdout.write(f"re-wrapped {moved} customer key(s) and {seeds} second-factor seed(s) "
                          f"under {content.key_provider().key_id}")
