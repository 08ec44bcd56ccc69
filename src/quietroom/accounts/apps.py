from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "quietroom.accounts"
    label = "accounts"
