"""Different answers: 202 with a message on request, the expiry time on validate, and one
"not found" body of the app's own on validate and confirm."""

from django.urls import path
from rest_framework import status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from resetkit.backends import ResetTokenLike
from resetkit.flows import PasswordResetFlow
from resetkit.views import (
    ResetPasswordConfirm,
    ResetPasswordRequestToken,
    ResetPasswordValidateToken,
)


class AppFlow(PasswordResetFlow):
    """Shared by the three endpoints: a token that cannot be used gets this answer on both
    validate and confirm."""

    def token_not_found(self):
        raise NotFound({"code": "invalid_token", "detail": "This link has expired or was used."})


class RequestReset(ResetPasswordRequestToken):
    flow_class = AppFlow

    def get_issue_response(self) -> Response:
        # Built before the lookup runs: it must not depend on whether the account exists.
        return Response(
            {"detail": "If an account uses this address, we have sent it a link."},
            status=status.HTTP_202_ACCEPTED,
        )


class ValidateReset(ResetPasswordValidateToken):
    flow_class = AppFlow

    def get_validate_response(self, token: ResetTokenLike) -> Response:
        response = super().get_validate_response(token)
        response.data["expires_at"] = token.expires_at
        return response


urlpatterns = [
    path("api/password_reset/", RequestReset.as_view(), name="reset-password-request"),
    path(
        "api/password_reset/validate_token/",
        ValidateReset.as_view(),
        name="reset-password-validate",
    ),
    path(
        "api/password_reset/confirm/",
        ResetPasswordConfirm.as_view(flow_class=AppFlow),
        name="reset-password-confirm",
    ),
]
