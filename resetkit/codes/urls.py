"""URLs of the code flow: ``include("resetkit.codes.urls", namespace="password_reset_code")``.

Mounted at ``api/password_reset/code/``: request ``""``, ``validate/`` and ``confirm/``. For a
DRF router, :func:`add_reset_password_code_urls_to_router` registers the one ViewSet instead.
"""

from typing import Any

from django.urls import path

from resetkit.codes.views import (
    ResetPasswordCodeViewSet,
    reset_password_code_confirm,
    reset_password_code_request,
    reset_password_code_validate,
)

app_name = "password_reset_code"

urlpatterns = [
    path("validate/", reset_password_code_validate, name="reset-password-code-validate"),
    path("confirm/", reset_password_code_confirm, name="reset-password-code-confirm"),
    path("", reset_password_code_request, name="reset-password-code-request"),
]


def add_reset_password_code_urls_to_router(router: Any, base_path: str = "code") -> None:
    """Register :class:`ResetPasswordCodeViewSet` on a DRF router under ``base_path``, with the
    basename ``reset-password-code``: ``reverse("reset-password-code-list")`` is the request
    step, ``reset-password-code-validate`` and ``reset-password-code-confirm`` the others."""
    router.register(base_path.strip("/"), ResetPasswordCodeViewSet, basename="reset-password-code")
