"""Shapes of the staff API: a token row without its digest, and the revoke request."""

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
