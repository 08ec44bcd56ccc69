from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "quietroom.escalation"
    label = "escalation"
    verbose_name = "Escalation and reviewer care"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from quietroom import gate

        from .access import escalation_review_policy

        gate.register_policy("escalation review", escalation_review_policy)
