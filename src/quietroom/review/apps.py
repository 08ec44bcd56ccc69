from django.apps import AppConfig


class ReviewConfig(AppConfig):
    name = "quietroom.review"
    label = "review"
