"""Request a reset by username instead of e-mail address."""

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.urls import path
from rest_framework import serializers

from resetkit.flows import PasswordResetFlow
from resetkit.views import (
    ResetPasswordConfirm,
    ResetPasswordRequestToken,
    ResetPasswordValidateToken,
)


class UsernameFlow(PasswordResetFlow):
    """Accounts are found by username: by the request step, and for short codes."""

    def get_lookup_field(self) -> str:
        return get_user_model().USERNAME_FIELD


class UsernameSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)


class RequestResetByUsername(ResetPasswordRequestToken):
    """POST ``{"username": ...}``; answers ``{"status": "OK"}`` whatever the account."""

    flow_class = UsernameFlow
    serializer_class = UsernameSerializer

    def get_lookup_value(self, validated_data: Mapping[str, Any]) -> str:
        return str(validated_data["username"])


urlpatterns = [
    path("api/password_reset/", RequestResetByUsername.as_view(), name="reset-password-request"),
    path(
        "api/password_reset/validate_token/",
        ResetPasswordValidateToken.as_view(flow_class=UsernameFlow),
        name="reset-password-validate",
    ),
    path(
        "api/password_reset/confirm/",
        ResetPasswordConfirm.as_view(flow_class=UsernameFlow),
        name="reset-password-confirm",
    ),
]
