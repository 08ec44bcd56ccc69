from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "quietroom.accounts"
    label = "accounts"

    def ready(self):
        from quietroom import gate

        from . import fields
        from . import sessions  # noqa: F401  (connects the one-session-per-account receivers)

        # Second-factor seeds are sealed and opened by the gate (the one place that decrypts);
        # registered here, at start-up, so the models never import the gate.
        fields.use_codec(gate)
