"""URLs of the code flow: ``include("resetkit.codes.urls", namespace="password_reset_code")``.

Mounted at ``api/password_reset/code/``: request ``""``, ``validate/`` and ``confirm/``. For a
DRF router, :func:`add_reset_password_code_urls_to_router` registers the one ViewSet instead.
With a flow of your own (a :class:`~resetkit.codes.flows.CodeResetFlow` subclass) on all three,
``include((get_urlpatterns(flow_class=MyCodeFlow), "password_reset_code"))``.
"""

from typing import Any

from django.urls import path

from resetkit.codes.views import (
    ResetPasswordCodeViewSet,
    ResetPasswordConfirmCode,
    ResetPasswordRequestCode,
    ResetPasswordValidateCode,
    reset_password_code_confirm,
    reset_password_code_request,
    reset_password_code_validate,
)

app_name = "password_reset_code"


def get_urlpatterns(flow_class: Any = None) -> list[Any]:
    """The three code endpoints; with ``flow_class``, all three use that flow."""
    if flow_class is None:
        views = (
            reset_password_code_validate,
            reset_password_code_confirm,
            reset_password_code_request,
        )
    else:
        views = (
            ResetPasswordValidateCode.as_view(flow_class=flow_class),
            ResetPasswordConfirmCode.as_view(flow_class=flow_class),
            ResetPasswordRequestCode.as_view(flow_class=flow_class),
        )
    validate, confirm, request = views
    return [
        path("validate/", validate, name="reset-password-code-validate"),
        path("confirm/", confirm, name="reset-password-code-confirm"),
        path("", request, name="reset-password-code-request"),
    ]


urlpatterns = get_urlpatterns()


def add_reset_password_code_urls_to_router(
    router: Any,
    base_path: str = "code",
    viewset: type[ResetPasswordCodeViewSet] = ResetPasswordCodeViewSet,
) -> None:
    """Register :class:`ResetPasswordCodeViewSet` (or ``viewset``, a subclass of it) on a DRF
    router under ``base_path``, with the basename ``reset-password-code``:
    ``reverse("reset-password-code-list")`` is the request step, ``reset-password-code-validate``
    and ``reset-password-code-confirm`` the others."""
    router.register(base_path.strip("/"), viewset, basename="reset-password-code")
