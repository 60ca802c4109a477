"""Input shapes of the three endpoints, and nothing else.

The serializers check that fields are present, strings, of sane size and free of NUL bytes;
whether a token is valid is the mixins' business.
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

__all__ = ["EmailSerializer", "PasswordTokenSerializer", "ResetTokenSerializer"]

# Longer than any generated token; bounds the work an attacker can make us hash.
TOKEN_MAX_LENGTH = 256
# Django's own limit for passwords fed to the hashers (PBKDF2 cost grows with length).
PASSWORD_MAX_LENGTH = 4096


class EmailSerializer(serializers.Serializer):
    email = serializers.EmailField(label=_("E-mail"), max_length=254)


class ResetTokenSerializer(serializers.Serializer):
    token = serializers.CharField(label=_("Token"), max_length=TOKEN_MAX_LENGTH)


class PasswordTokenSerializer(serializers.Serializer):
    password = serializers.CharField(
        label=_("Password"),
        max_length=PASSWORD_MAX_LENGTH,
        trim_whitespace=False,
        style={"input_type": "password"},
    )
    token = serializers.CharField(label=_("Token"), max_length=TOKEN_MAX_LENGTH)

    def get_initial(self) -> dict[str, Any]:
        # The browsable API re-renders a rejected form from this: never with the password in it.
        initial: dict[str, Any] = dict(super().get_initial())
        initial.pop("password", None)
        return initial
