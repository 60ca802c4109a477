"""Connect resetkit's ready-made e-mail receiver once, when Django starts."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        from resetkit.contrib import email

        email.connect()
