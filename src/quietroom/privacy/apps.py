from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Data-subject rights: access reports, erasure, retention, transparency, records of processing."""

    name = "quietroom.privacy"
    label = "privacy"

    def ready(self):
        # Escalation never imports privacy: it announces the end of a hold (after commit), and an
        # erasure that kept the held snippet finishes then.
        from quietroom.escalation.holds import hold_ended

        from .erasure import on_hold_ended

        hold_ended.connect(on_hold_ended, dispatch_uid="quietroom.privacy.erasure.on_hold_ended")
