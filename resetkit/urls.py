"""URLs of the three endpoints: ``include("resetkit.urls", namespace="password_reset")``.

For another flow on all three, ``include((get_urlpatterns(flow_class=TenantFlow),
"password_reset"))``; on a router, :func:`add_reset_password_urls_to_router` (three ViewSets,
upstream's names) or :func:`add_password_reset_viewset_to_router` (one ViewSet).
"""

from typing import Any

from django.urls import URLPattern, path

from resetkit.checks.installation import AppInstalledCheckPattern
from resetkit.views import (
    PasswordResetViewSet,
    ResetPasswordConfirm,
    ResetPasswordConfirmViewSet,
    ResetPasswordRequestToken,
    ResetPasswordRequestTokenViewSet,
    ResetPasswordValidateToken,
    ResetPasswordValidateTokenViewSet,
    reset_password_confirm,
    reset_password_request_token,
    reset_password_validate_token,
)

app_name = "password_reset"


def get_urlpatterns(flow_class: Any = None) -> list[Any]:
    """The three endpoints under their upstream paths and names; with ``flow_class`` (a
    :class:`~resetkit.flows.PasswordResetFlow` subclass or its dotted path), all three use
    that flow."""
    if flow_class is None:
        views = (
            reset_password_validate_token,
            reset_password_confirm,
            reset_password_request_token,
        )
    else:
        views = (
            ResetPasswordValidateToken.as_view(flow_class=flow_class),
            ResetPasswordConfirm.as_view(flow_class=flow_class),
            ResetPasswordRequestToken.as_view(flow_class=flow_class),
        )
    validate, confirm, request = views
    request_pattern: URLPattern = path("", request, name="reset-password-request")
    return [
        path("validate_token/", validate, name="reset-password-validate"),
        path("confirm/", confirm, name="reset-password-confirm"),
        # The request endpoint's pattern also reports E014 (resetkit not in INSTALLED_APPS) in
        # Django's URL checks: resetkit's own checks are registered only by an installed app.
        AppInstalledCheckPattern.from_pattern(request_pattern),
    ]


urlpatterns = get_urlpatterns()


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


def add_password_reset_viewset_to_router(
    router: Any,
    base_path: str = "",
    basename: str = "password-reset",
    viewset: type[PasswordResetViewSet] = PasswordResetViewSet,
) -> None:
    """Register :class:`~resetkit.views.PasswordResetViewSet` (or ``viewset``, a subclass of it
    with a ``flow_class`` of its own, say) on a DRF router under ``base_path``: URL names
    ``<basename>-list`` (request), ``<basename>-validate`` and ``<basename>-confirm``."""
    router.register(base_path.strip("/"), viewset, basename=basename)
