"""drf-spectacular serializer and field extensions: stable component names for resetkit's
input serializers, the ``status`` pattern, the staff API's ``user`` field. Imported by
:mod:`resetkit.schema` only when drf-spectacular is installed."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import (
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.plumbing import get_class
from drf_spectacular.utils import extend_schema_field

from resetkit.schema.responses import StatusField

# A pattern, not an enum: drf-spectacular would turn an enum into a project-wide
# "StatusEnum" component, colliding with any other field named "status".
extend_schema_field({"type": "string", "pattern": "^OK$", "example": "OK"})(StatusField)


class _ComponentName(OpenApiSerializerExtension):
    """Give one of resetkit's input serializers a name no project component shares."""

    component_name: str

    def get_name(self, auto_schema: Any, direction: Any) -> str:
        return self.component_name


class _EmailName(_ComponentName):
    target_class = "resetkit.serializers.EmailSerializer"
    component_name = "PasswordResetEmail"


class _WithIdentifier(_ComponentName):
    """Validate and confirm; with short codes the views add a required ``email``
    (:func:`~resetkit.serializers.with_identifier_field`): say what it is for, under a
    name of its own."""

    @classmethod
    def _matches(cls, target: Any) -> bool:
        # The class itself, or the copy with ``email`` the views make of it (not a
        # project's own subclass, which keeps its own component).
        base = getattr(get_class(target), "resetkit_identifier_of", None)
        return super()._matches(base if base is not None else target)

    def get_name(self, auto_schema: Any, direction: Any) -> str:
        if getattr(get_class(self.target), "resetkit_identifier_of", None) is not None:
            return f"{self.component_name}WithAccount"
        return self.component_name

    def map_serializer(self, auto_schema: Any, direction: Any) -> Any:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        email = schema.get("properties", {}).get("email")
        if email is not None:
            email["description"] = (
                "The account the short code is presented for: the code is checked "
                "against this account alone."
            )
        return schema


class _TokenName(_WithIdentifier):
    target_class = "resetkit.serializers.ResetTokenSerializer"
    component_name = "PasswordResetToken"


class _PasswordTokenName(_WithIdentifier):
    target_class = "resetkit.serializers.PasswordTokenSerializer"
    component_name = "PasswordResetConfirm"


class _CodeName(_ComponentName):
    target_class = "resetkit.codes.serializers.CodeSerializer"
    component_name = "PasswordResetCode"


class _CodePasswordName(_ComponentName):
    target_class = "resetkit.codes.serializers.CodePasswordSerializer"
    component_name = "PasswordResetCodeConfirm"


class _StaffUserField(OpenApiSerializerFieldExtension):
    """The staff API's ``user``: typed as the user model's primary key (an integer, a UUID),
    which drf-spectacular cannot derive from a field whose queryset is resolved per request."""

    target_class = "resetkit.staff.serializers.UserField"

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
        from django.contrib.auth import get_user_model

        schema = dict(auto_schema._map_model_field(get_user_model()._meta.pk, direction))
        schema.pop("readOnly", None)  # the primary key is generated; this field is input
        return schema
