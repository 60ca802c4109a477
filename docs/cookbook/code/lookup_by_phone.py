"""Request a reset by the phone number on the user's profile (``user.profile.phone``)."""

import re
from collections.abc import Iterable, Mapping
from typing import Any

from django.urls import path
from rest_framework import serializers

from resetkit.flows import PasswordResetFlow
from resetkit.views import (
    ResetPasswordConfirm,
    ResetPasswordRequestToken,
    ResetPasswordValidateToken,
)


class PhoneFlow(PasswordResetFlow):
    """Accounts are found by the number on their profile."""

    def get_lookup_field(self) -> str:
        # Followed through the relation when the match is double-checked.
        return "profile__phone"

    def get_candidate_users(self, value: str) -> Iterable[Any]:
        # Numbers are stored normalised: an exact match can use the unique index.
        return self.get_user_queryset().filter(profile__phone=value).select_related("profile")


class PhoneSerializer(serializers.Serializer):
    phone = serializers.CharField(max_length=32)

    def validate_phone(self, value: str) -> str:
        """Normalise "+1 (555) 010-2030" to "+15550102030", the form profiles store."""
        number = re.sub(r"[\s().-]", "", value)
        if not re.fullmatch(r"\+?[0-9]{6,15}", number):
            raise serializers.ValidationError("Enter a phone number.")
        return number


class RequestResetByPhone(ResetPasswordRequestToken):
    """POST ``{"phone": ...}``; answers ``{"status": "OK"}`` whatever the account."""

    flow_class = PhoneFlow
    serializer_class = PhoneSerializer

    def get_lookup_value(self, validated_data: Mapping[str, Any]) -> str:
        return str(validated_data["phone"])


urlpatterns = [
    path("api/password_reset/", RequestResetByPhone.as_view(), name="reset-password-request"),
    path(
        "api/password_reset/validate_token/",
        ResetPasswordValidateToken.as_view(flow_class=PhoneFlow),
        name="reset-password-validate",
    ),
    path(
        "api/password_reset/confirm/",
        ResetPasswordConfirm.as_view(flow_class=PhoneFlow),
        name="reset-password-confirm",
    ),
]
