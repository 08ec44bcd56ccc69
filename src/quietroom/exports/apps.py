from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "quietroom.exports"
    label = "exports"

    def ready(self):
        from quietroom import gate

        # Who may start an export is checked where it starts (the export permission on the
        # page, the API token's scope, the operator's command), and what may leave is chosen by
        # `exports.collect`; the gate audits every object read for it.
        gate.register_policy("export", gate.allow_all)
