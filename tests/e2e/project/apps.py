"""Connects resetkit's ready-made e-mail receiver, as a project does in its own app."""

from django.apps import AppConfig


class E2EProjectConfig(AppConfig):
    name = "tests.e2e.project"
    label = "e2e_project"

    def ready(self) -> None:
        from resetkit.contrib import email

        email.connect()
