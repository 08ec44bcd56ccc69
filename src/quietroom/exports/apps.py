from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "quietroom.exports"
    label = "exports"

    def ready(self):
        from quietroom import gate
        from quietroom.privacy.outbound import export_policy

        # Who may start an export is checked where it starts (the export permission on the
        # page, the API token's scope, the operator's command). What may leave is the one rule
        # of `privacy.outbound`: `exports.collect` chooses with it, and the gate asks it again
        # before every read for an export, so a snippet flagged mid-export is not read for it.
        gate.register_policy("export", export_policy)
