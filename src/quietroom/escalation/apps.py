from django.apps import AppConfig


class EscalationConfig(AppConfig):
    name = "quietroom.escalation"
    label = "escalation"
    verbose_name = "Escalation and reviewer care"
    default_auto_field = "django.db.models.BigAutoField"
