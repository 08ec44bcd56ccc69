from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "quietroom.exports"
    label = "exports"
