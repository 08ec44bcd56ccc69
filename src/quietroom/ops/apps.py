from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: serving, workers, the demo and its self-check. No models."""

    name = "quietroom.ops"
    label = "ops"
