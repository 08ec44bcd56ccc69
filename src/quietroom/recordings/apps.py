from django.apps import AppConfig


class RecordingsConfig(AppConfig):
    name = "quietroom.recordings"
    label = "recordings"
