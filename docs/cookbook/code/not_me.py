"""A fourth endpoint, "I didn't ask for this": the link in the reset e-mail that revokes every
outstanding token of the account, leaving the password as it is."""

from typing import Any
from urllib.parse import quote

from django.core.mail import send_mail
from django.dispatch import receiver
from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response

from resetkit.backends import ResetTokenLike
from resetkit.generics import ResetAPIView
from resetkit.mixins import TokenValidateMixin
from resetkit.serializers import ResetTokenSerializer
from resetkit.signals import reset_password_token_created
from resetkit.throttling import VALIDATE_TOKEN_SCOPE


class NotMe(TokenValidateMixin, ResetAPIView):
    """POST ``{"token"}``: revoke all of the account's tokens; the generic 404 for a bad one."""

    serializer_class = ResetTokenSerializer
    # Another door for guessing tokens: the validate endpoint's scope applies here too (its
    # throttles come with TokenValidateMixin, the validate step).
    throttle_scope = VALIDATE_TOKEN_SCOPE

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # The flow the three stock endpoints use: the same store, eligibility and 404.
        flow = self.get_flow()
        token = flow.get_valid_token(serializer.validated_data["token"])
        flow.get_token_store().revoke_user_tokens(token.user)
        return Response({"status": "OK"})


RESET_URL = "https://app.example/reset?token={token}"
NOT_ME_URL = "https://app.example/not-me?token={token}"


@receiver(reset_password_token_created, dispatch_uid="accounts.send_reset_links")
def send_reset_links(
    sender: Any, instance: Any, reset_password_token: ResetTokenLike, **kwargs: Any
) -> None:
    """E-mail two links: reset the password, or cancel a request you did not make."""
    token = quote(reset_password_token.key or "", safe="")
    send_mail(
        "Reset your password",
        "Someone asked to reset the password of your account.\n\n"
        f"To choose a new password, open {RESET_URL.format(token=token)}\n\n"
        f"If it was not you, open {NOT_ME_URL.format(token=token)}\n"
        "to cancel the request. Your password stays as it is.",
        None,  # DEFAULT_FROM_EMAIL
        [reset_password_token.user.email],
    )


urlpatterns = [
    path("api/password_reset/", include("resetkit.urls", namespace="password_reset")),
    path("api/password_reset/not_me/", NotMe.as_view(), name="reset-password-not-me"),
]
