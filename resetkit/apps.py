"""Application config: wires the system checks and the settings reload."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResetkitConfig(AppConfig):
    name = "resetkit"
    label = "resetkit"
    verbose_name = _("Password reset")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported to register the system checks and the settings reload receiver.
        from resetkit import checks, conf  # noqa: F401
        from resetkit.executors import checks as executor_checks  # noqa: F401
