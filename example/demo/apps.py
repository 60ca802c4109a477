"""App configuration: connects the e-mail receivers once Django is ready."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = "resetkit demo"

    def ready(self) -> None:
        # Importing the module connects its @receiver functions.
        from demo import receivers  # noqa: F401

        # resetkit's own receivers for the notices only (PASSWORD_CHANGED_NOTICE in settings):
        # "your password was changed" after each reset. Links and codes come from receivers.py.
        from resetkit.contrib import email

        email.connect(links=False, codes=False)
