"""The bodies resetkit's endpoints answer with, as serializers that only describe them.

A project can reuse them in its own ``@extend_schema``; nothing here serves a request.
"""

from __future__ import annotations

from rest_framework import serializers


class StatusField(serializers.CharField):
    """The ``status`` of a successful answer: always the string ``"OK"``."""


class PasswordResetStatusSerializer(serializers.Serializer):
    """``{"status": "OK"}``: the answer of every successful call."""

    status = StatusField(help_text='Always "OK".')


class PasswordResetValidationSerializer(PasswordResetStatusSerializer):
    """A good token; with ``USER_DETAILS_ON_VALIDATION`` it also names the account."""

    username = serializers.CharField(
        required=False, help_text="Only with USER_DETAILS_ON_VALIDATION."
    )
    email = serializers.CharField(required=False, help_text="Only with USER_DETAILS_ON_VALIDATION.")


class PasswordResetDetailSerializer(serializers.Serializer):
    """``{"detail": "..."}``: the body of 404, 406, 415, 429 and 503 answers."""

    detail = serializers.CharField()


def _messages(help_text: str) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(), required=False, help_text=help_text)


class _InputErrorsSerializer(serializers.Serializer):
    """Messages per field, or ``detail`` when the body could not be parsed at all."""

    detail = serializers.CharField(
        required=False, help_text="The body could not be parsed (malformed JSON, say)."
    )
    non_field_errors = _messages("The body is not an object (a JSON list, say).")


class PasswordResetRequestErrorsSerializer(_InputErrorsSerializer):
    """A 400 of the request endpoint: messages per field, or ``detail``."""

    email = _messages(
        "Missing or malformed e-mail; unknown account with NO_INFORMATION_LEAKAGE off."
    )


class PasswordResetTokenErrorsSerializer(_InputErrorsSerializer):
    """A 400 of the validate endpoint: messages per field, or ``detail``."""

    token = _messages("Missing, empty or over-long token.")
    email = _messages("Missing with a short code (under CODE_ONLY_LOOKUP=False), or over-long.")


class PasswordResetConfirmErrorsSerializer(PasswordResetTokenErrorsSerializer):
    """A 400 of the confirm endpoint: messages per field, or ``detail``."""

    password = _messages("Missing password, or rejected by AUTH_PASSWORD_VALIDATORS.")


class PasswordResetCodeErrorsSerializer(_InputErrorsSerializer):
    """A 400 of the code flow's validate endpoint: messages per field, or ``detail``."""

    email = _messages("Missing or malformed e-mail.")
    code = _messages("Missing, or not digits.")


class PasswordResetCodeConfirmErrorsSerializer(PasswordResetCodeErrorsSerializer):
    """A 400 of the code flow's confirm endpoint: messages per field, or ``detail``."""

    password = _messages("Missing password, or rejected by AUTH_PASSWORD_VALIDATORS.")
