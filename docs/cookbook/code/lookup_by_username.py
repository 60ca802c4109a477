"""Request a reset by username instead of e-mail address."""

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.urls import path
from rest_framework import serializers

from resetkit.views import (
    ResetPasswordRequestToken,
    reset_password_confirm,
    reset_password_validate_token,
)


class UsernameSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)


class RequestResetByUsername(ResetPasswordRequestToken):
    """POST ``{"username": ...}``; answers ``{"status": "OK"}`` whatever the account."""

    serializer_class = UsernameSerializer

    def get_lookup_field(self) -> str:
        return get_user_model().USERNAME_FIELD

    def get_lookup_value(self, validated_data: Mapping[str, Any]) -> str:
        return str(validated_data["username"])


urlpatterns = [
    path("api/password_reset/", RequestResetByUsername.as_view(), name="reset-password-request"),
    path(
        "api/password_reset/validate_token/",
        reset_password_validate_token,
        name="reset-password-validate",
    ),
    path("api/password_reset/confirm/", reset_password_confirm, name="reset-password-confirm"),
]
