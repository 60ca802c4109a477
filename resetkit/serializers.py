"""Input shapes of the three endpoints, and nothing else.

The serializers check that fields are present, strings, of sane size and free of NUL bytes;
whether a token is valid is the mixins' business. When the generator makes short codes,
validate and confirm also take ``email``, the account a code is presented for: the views add
that field to their serializer then (:func:`with_identifier_field`).
"""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

__all__ = [
    "EmailSerializer",
    "PasswordTokenSerializer",
    "ResetTokenSerializer",
    "with_identifier_field",
]

# Longer than any generated token; bounds the work an attacker can make us hash.
TOKEN_MAX_LENGTH = 256
# Django's own limit for passwords fed to the hashers (PBKDF2 cost grows with length).
PASSWORD_MAX_LENGTH = 4096


class EmailSerializer(serializers.Serializer):
    email = serializers.EmailField(label=_("E-mail"), max_length=254)


# Django's EmailField length; the account identifier presented with a short code.
IDENTIFIER_MAX_LENGTH = 254


def identifier_field() -> serializers.CharField:
    """The ``email`` presented with a short code: any string (the lookup field may be a
    username), compared with the token's account by the views."""
    return serializers.CharField(label=_("E-mail"), max_length=IDENTIFIER_MAX_LENGTH)


_WITH_IDENTIFIER: dict[tuple[type[serializers.BaseSerializer], str], type] = {}


def with_identifier_field(
    serializer_class: type[serializers.BaseSerializer], field: str = "email"
) -> type[serializers.BaseSerializer]:
    """``serializer_class`` with a required identifier ``field`` added (the same class if it
    has one): the input of validate and confirm when tokens are short codes."""
    if not issubclass(serializer_class, serializers.Serializer):
        return serializer_class
    if field in serializer_class._declared_fields:
        return serializer_class
    key = (serializer_class, field)
    if key not in _WITH_IDENTIFIER:
        _WITH_IDENTIFIER[key] = type(
            serializer_class.__name__,
            (serializer_class,),
            {
                field: identifier_field(),
                "__module__": serializer_class.__module__,
                "resetkit_identifier_of": serializer_class,
            },
        )
    return _WITH_IDENTIFIER[key]


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
