from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "quietroom.accounts"
    label = "accounts"

    def ready(self):
        from quietroom.content import account_secrets

        from . import fields
        from . import sessions  # noqa: F401  (connects the one-session-per-account receivers)

        # Second-factor seeds are sealed and opened by the content level (keys, not content);
        # registered here, at start-up, so the models never import it.
        fields.use_codec(account_secrets)
