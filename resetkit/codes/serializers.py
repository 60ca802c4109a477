"""Input shapes of the code flow. The code is read as ``validated_data["token"]``
(``source="token"``), which is where the stock mixins look for it."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from resetkit.serializers import IDENTIFIER_MAX_LENGTH, PASSWORD_MAX_LENGTH, EmailSerializer

__all__ = ["CodePasswordSerializer", "CodeSerializer", "EmailSerializer"]

# Longer than any configured code; a code of the wrong length is a wrong code (the generic 404).
CODE_MAX_LENGTH = 64


class CodeSerializer(serializers.Serializer):
    """``{"email", "code"}``: the validate step."""

    email = serializers.EmailField(label=_("E-mail"), max_length=IDENTIFIER_MAX_LENGTH)
    code = serializers.RegexField(
        r"^[0-9]+$", label=_("Code"), max_length=CODE_MAX_LENGTH, source="token"
    )


class CodePasswordSerializer(CodeSerializer):
    """``{"email", "code", "password"}``: the confirm step."""

    password = serializers.CharField(
        label=_("Password"),
        max_length=PASSWORD_MAX_LENGTH,
        trim_whitespace=False,
        style={"input_type": "password"},
    )

    def get_initial(self) -> dict[str, Any]:
        # The browsable API re-renders a rejected form from this: never with the password in it.
        initial: dict[str, Any] = dict(super().get_initial())
        initial.pop("password", None)
        return initial
