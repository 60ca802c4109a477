"""Different answers: 202 with a message on request, the expiry time on validate."""

from django.urls import path
from rest_framework import status
from rest_framework.response import Response

from resetkit.backends import ResetTokenLike
from resetkit.views import (
    ResetPasswordRequestToken,
    ResetPasswordValidateToken,
    reset_password_confirm,
)


class RequestReset(ResetPasswordRequestToken):
    def get_issue_response(self) -> Response:
        # Built before the lookup runs: it must not depend on whether the account exists.
        return Response(
            {"detail": "If an account uses this address, we have sent it a link."},
            status=status.HTTP_202_ACCEPTED,
        )


class ValidateReset(ResetPasswordValidateToken):
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
    path("api/password_reset/confirm/", reset_password_confirm, name="reset-password-confirm"),
]
