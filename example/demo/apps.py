"""App configuration: connects the e-mail receiver once Django is ready."""

from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "demo"
    verbose_name = "resetkit demo"

    def ready(self) -> None:
        # Importing the module connects its @receiver functions.
        from demo import receivers  # noqa: F401
