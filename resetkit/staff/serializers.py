"""Shapes of the staff API: a token row without its digest, the revoke and send requests, and
the send answer."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

# Registers the OpenAPI description of UserField when drf-spectacular is installed.
import resetkit.schema  # noqa: F401
from resetkit.models import ResetPasswordToken


class StaffResetTokenSerializer(serializers.ModelSerializer):
    """An outstanding reset request as staff see it. The digest is left out on purpose: it
    is useless to a reader and only invites mistaking it for a token."""

    user_email = serializers.SerializerMethodField(label=_("user e-mail"))
    expires_at = serializers.DateTimeField(label=_("expires at"), read_only=True)

    class Meta:
        model = ResetPasswordToken
        fields = (
            "id",
            "user",
            "user_email",
            "created_at",
            "expires_at",
            "ip_address",
            "user_agent",
        )
        read_only_fields = fields

    def get_user_email(self, obj: ResetPasswordToken) -> str:
        """Read the e-mail from whichever field the user model declares (``EMAIL_FIELD``)."""
        user = obj.user
        return str(getattr(user, user.get_email_field_name(), "") or "")


class UserField(serializers.PrimaryKeyRelatedField):
    """A user by primary key; the user model is looked up per request, never at import."""

    def get_queryset(self) -> QuerySet[Any]:
        return get_user_model()._default_manager.all()


class RevokeUserTokensSerializer(serializers.Serializer):
    user = UserField(label=_("user"))


class SendResetLinkSerializer(serializers.Serializer):
    user = UserField(label=_("user"))


class SendResetLinkResultSerializer(serializers.Serializer):
    """The send answer (it only describes the body): whether a link went, never the token."""

    status = serializers.CharField(help_text='Always "OK".')
    sent = serializers.BooleanField(help_text="Whether a token was issued and handed to delivery.")
    # A CharField, not a ChoiceField: an enum would add a component named "ReasonEnum", which
    # could clash with a project's own.
    reason = serializers.CharField(
        help_text="sent; budget_spent (ACCOUNT_TOKEN_RATE); not_eligible (inactive, no usable "
        "password, or outside the flow's users)."
    )
    detail = serializers.CharField(
        required=False, help_text="Why no link was sent, in words (only when sent is false)."
    )
