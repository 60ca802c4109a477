"""URLs of the three endpoints: ``include("resetkit.urls", namespace="password_reset")``."""

from typing import Any

from django.urls import path

from resetkit.checks.installation import AppInstalledCheckPattern
from resetkit.views import (
    ResetPasswordConfirmViewSet,
    ResetPasswordRequestTokenViewSet,
    ResetPasswordValidateTokenViewSet,
    reset_password_confirm,
    reset_password_request_token,
    reset_password_validate_token,
)

app_name = "password_reset"

urlpatterns = [
    path("validate_token/", reset_password_validate_token, name="reset-password-validate"),
    path("confirm/", reset_password_confirm, name="reset-password-confirm"),
    # The request endpoint's pattern also reports E014 (resetkit not in INSTALLED_APPS) in
    # Django's URL checks: resetkit's own checks are registered only by an installed app.
    AppInstalledCheckPattern.from_pattern(
        path("", reset_password_request_token, name="reset-password-request")
    ),
]


def add_reset_password_urls_to_router(router: Any, base_path: str = "") -> None:
    """Register the three ViewSets on a DRF router under ``base_path``.

    Basenames are ``reset-password-validate``, ``reset-password-confirm`` and
    ``reset-password-request``, so ``reverse("reset-password-request-list")`` finds them.
    """
    prefix = base_path.strip("/")

    def under(path: str) -> str:
        return f"{prefix}/{path}" if prefix else path

    router.register(
        under("validate_token"),
        ResetPasswordValidateTokenViewSet,
        basename="reset-password-validate",
    )
    router.register(
        under("confirm"), ResetPasswordConfirmViewSet, basename="reset-password-confirm"
    )
    router.register(prefix, ResetPasswordRequestTokenViewSet, basename="reset-password-request")
