from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Data-subject rights: access reports, erasure, retention, transparency, records of processing."""

    name = "quietroom.privacy"
    label = "privacy"
