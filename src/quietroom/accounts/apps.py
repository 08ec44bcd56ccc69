from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "quietroom.accounts"
    label = "accounts"

    def ready(self):
        from . import sessions  # noqa: F401  (connects the one-session-per-account receivers)
