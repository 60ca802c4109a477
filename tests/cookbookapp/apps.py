from django.apps import AppConfig


class CookbookAppConfig(AppConfig):
    """Models that the cookbook's recipes need besides the user."""

    name = "tests.cookbookapp"
    label = "cookbookapp"
    default_auto_field = "django.db.models.BigAutoField"
