from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    """Privacy and utility evaluation of the de-identification pipeline (commands only, no models)."""

    name = "quietroom.evaluation"
    label = "evaluation"
