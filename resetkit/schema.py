"""OpenAPI 3 description of the three endpoints, for drf-spectacular (the ``spectacular`` extra).

Nothing here is needed to serve a request. The response serializers below only describe
bodies, so a project can reuse them in its own ``@extend_schema``. When drf-spectacular is
installed, importing this module (``resetkit.views`` does) also registers its extensions:

* one view extension per endpoint, matching the ready-made views, their ViewSets and every
  subclass: it adds summaries, operation ids, the ``password-reset`` tag, each status the
  endpoint can answer with its body, the ``Retry-After`` header and the throttle scope. It
  runs when the schema is generated, so the project's ``DEFAULT_SCHEMA_CLASS`` is the one in
  force then; ``@extend_schema`` written on a subclass wins over it, key by key;
* stable component names for the input serializers (``PasswordResetEmail`` and so on), so
  they cannot collide with a project's own ``Email`` serializer.

Without drf-spectacular the module defines the serializers and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rest_framework import serializers

from resetkit.throttling import REQUEST_TOKEN_SCOPE, RESET_CONFIRM_SCOPE, VALIDATE_TOKEN_SCOPE

__all__ = [
    "CONFIRM",
    "REQUEST_TOKEN",
    "VALIDATE_TOKEN",
    "EndpointDocs",
    "PasswordResetConfirmErrorsSerializer",
    "PasswordResetDetailSerializer",
    "PasswordResetRequestErrorsSerializer",
    "PasswordResetStatusSerializer",
    "PasswordResetTokenErrorsSerializer",
    "PasswordResetValidationSerializer",
    "extend_schema_kwargs",
]

TAG = "password-reset"

# -- response bodies ----------------------------------------------------------------------------


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


class PasswordResetConfirmErrorsSerializer(PasswordResetTokenErrorsSerializer):
    """A 400 of the confirm endpoint: messages per field, or ``detail``."""

    password = _messages("Missing password, or rejected by AUTH_PASSWORD_VALIDATORS.")


# -- what each endpoint documents ----------------------------------------------------------------


@dataclass(frozen=True)
class EndpointDocs:
    """The documentation of one endpoint; :func:`extend_schema_kwargs` turns it into
    ``@extend_schema`` arguments."""

    #: Operation id of the APIView; the ViewSet's is this plus ``_create`` (DRF's action name).
    operation_id: str
    summary: str
    description: str
    throttling: str
    ok: type[serializers.Serializer]
    bad_request: type[serializers.Serializer]
    bad_request_description: str
    #: Whether the endpoint answers the generic 404 for an unusable token.
    token_not_found: bool
    request_example: dict[str, str]


_THROTTLED = (
    "Throttled: too many requests from this client address. `Retry-After` says how many "
    "seconds to wait."
)
_UNAVAILABLE = (
    "The token store (database or cache) cannot be reached; the same answer for every "
    "account. `Retry-After` says when to try again."
)
_UNSUPPORTED = "The body is not JSON, a form or multipart data (`Content-Type`)."
_NOT_ACCEPTABLE = "No renderer matches the `Accept` header."
_TOKEN_NOT_FOUND = (
    "The token is unknown, expired, already used, or belongs to an account that may not reset "
    "(inactive, or without a usable password): one answer for all."
)

REQUEST_TOKEN = EndpointDocs(
    operation_id="reset_password_request",
    summary="Request a password-reset token",
    description=(
        "Issue a reset token to every eligible account whose e-mail matches `email` "
        "(case-insensitively) and hand each to the project's `reset_password_token_created` "
        'receivers, which e-mail it. The answer is `{"status": "OK"}` whether or not an '
        "account matched, so it reveals no account; the lookup and the delivery run after it "
        "has been sent. Each account receives at most `ACCOUNT_TOKEN_RATE` new tokens "
        "(3 an hour by default); past that the answer is the same and nothing is sent."
    ),
    throttling=(
        f"Throttle scope `{REQUEST_TOKEN_SCOPE}`: 3 requests a day per client address by "
        'default; `RESETKIT["THROTTLE_CLASSES"]` and `DEFAULT_THROTTLE_RATES` change it.'
    ),
    ok=PasswordResetStatusSerializer,
    bad_request=PasswordResetRequestErrorsSerializer,
    bad_request_description=(
        "The e-mail is missing or malformed, or the body could not be parsed. With "
        "`NO_INFORMATION_LEAKAGE` off, also an unknown or ineligible account."
    ),
    token_not_found=False,
    request_example={"email": "alice@example.com"},
)

VALIDATE_TOKEN = EndpointDocs(
    operation_id="reset_password_validate",
    summary="Check a password-reset token",
    description=(
        "Tell whether a token can still be used, without using it. With "
        "`USER_DETAILS_ON_VALIDATION` the answer also names the account (`username`, `email`)."
    ),
    throttling=(
        f"Throttle scope `{VALIDATE_TOKEN_SCOPE}`: DRF's `DEFAULT_THROTTLE_CLASSES` apply "
        '(a `ScopedRateThrottle` uses this scope), or `RESETKIT["VALIDATE_THROTTLE_CLASSES"]`.'
    ),
    ok=PasswordResetValidationSerializer,
    bad_request=PasswordResetTokenErrorsSerializer,
    bad_request_description="The token is missing or malformed, or the body could not be parsed.",
    token_not_found=True,
    request_example={"token": "3f9c1a7be2d84c0e9b5a6f1d2c3e4b5a"},
)

CONFIRM = EndpointDocs(
    operation_id="reset_password_confirm",
    summary="Set a new password with a reset token",
    description=(
        "Set the account's new password. The token is spent, and every other outstanding "
        "token of the account revoked. A password that `AUTH_PASSWORD_VALIDATORS` reject gets "
        "a 400 and the token stays usable."
    ),
    throttling=(
        f"Throttle scope `{RESET_CONFIRM_SCOPE}`: DRF's `DEFAULT_THROTTLE_CLASSES` apply "
        '(a `ScopedRateThrottle` uses this scope), or `RESETKIT["CONFIRM_THROTTLE_CLASSES"]`.'
    ),
    ok=PasswordResetStatusSerializer,
    bad_request=PasswordResetConfirmErrorsSerializer,
    bad_request_description=(
        "The token or password is missing or malformed, the password is rejected by "
        "`AUTH_PASSWORD_VALIDATORS` (the token is kept), or the body could not be parsed."
    ),
    token_not_found=True,
    request_example={
        "token": "3f9c1a7be2d84c0e9b5a6f1d2c3e4b5a",
        "password": "correct-horse-battery-staple",
    },
)


def extend_schema_kwargs(docs: EndpointDocs, *, viewset: bool = False) -> dict[str, Any]:
    """Return the ``@extend_schema`` arguments documenting one endpoint (drf-spectacular
    must be installed). ``viewset`` selects the router operation id."""
    from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

    detail = PasswordResetDetailSerializer
    responses: dict[int, Any] = {
        200: OpenApiResponse(docs.ok, description="Done."),
        400: OpenApiResponse(docs.bad_request, description=docs.bad_request_description),
    }
    if docs.token_not_found:
        responses[404] = OpenApiResponse(detail, description=_TOKEN_NOT_FOUND)
    responses.update(
        {
            406: OpenApiResponse(detail, description=_NOT_ACCEPTABLE),
            415: OpenApiResponse(detail, description=_UNSUPPORTED),
            429: OpenApiResponse(detail, description=_THROTTLED),
            503: OpenApiResponse(detail, description=_UNAVAILABLE),
        }
    )
    return {
        "operation_id": f"{docs.operation_id}_create" if viewset else docs.operation_id,
        "summary": docs.summary,
        "description": f"{docs.description}\n\n{docs.throttling}",
        "tags": [TAG],
        "responses": responses,
        "parameters": [
            OpenApiParameter(
                "Retry-After",
                type=int,
                location=OpenApiParameter.HEADER,
                response=[429, 503],
                description="Seconds to wait before trying again.",
            )
        ],
        "examples": [
            OpenApiExample("Request", value=docs.request_example, request_only=True),
        ],
    }


# -- drf-spectacular extensions ------------------------------------------------------------------

try:
    from drf_spectacular.extensions import (
        OpenApiSerializerExtension,
        OpenApiSerializerFieldExtension,
        OpenApiViewExtension,
    )
    from drf_spectacular.utils import extend_schema, extend_schema_field
except ImportError:  # the "spectacular" extra is not installed: describe nothing
    pass
else:
    # A pattern, not an enum: drf-spectacular would turn an enum into a project-wide
    # "StatusEnum" component, colliding with any other field named "status".
    extend_schema_field({"type": "string", "pattern": "^OK$", "example": "OK"})(StatusField)

    def _schema_class_of(method: Any) -> Any:
        """The schema class ``@extend_schema`` left on a view method, if any."""
        return getattr(method, "kwargs", {}).get("schema")

    class _EndpointExtension(OpenApiViewExtension):
        """Document one endpoint on the view, its ViewSet and their subclasses.

        The replacement view's method carries a schema class whose MRO puts the subclass's
        own annotations (method, then class) before resetkit's, and those before the
        project's ``DEFAULT_SCHEMA_CLASS``.
        """

        match_subclasses = True
        # A project's own extension (priority 0) for a subclass wins over this one.
        priority = -1
        docs: EndpointDocs

        def view_replacement(self) -> Any:
            from drf_spectacular.plumbing import get_class
            from rest_framework.settings import api_settings
            from rest_framework.viewsets import ViewSetMixin

            view = self.target
            viewset = issubclass(view, ViewSetMixin)
            name = "create" if viewset else "post"
            original = getattr(view, name)

            def documented(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
                return original(self, request, *args, **kwargs)  # pragma: no cover

            # On a bare function, extend_schema builds on DEFAULT_SCHEMA_CLASS as it is now.
            annotated: Any = extend_schema(**extend_schema_kwargs(self.docs, viewset=viewset))(
                documented
            )
            layers = (
                _schema_class_of(original),  # @extend_schema on the subclass's method
                get_class(view.schema),  # on the subclass itself, or a custom AutoSchema
                annotated.kwargs["schema"],  # resetkit's
            )
            bases = tuple(
                cls
                for cls in dict.fromkeys(layers)
                if cls is not None and cls is not api_settings.DEFAULT_SCHEMA_CLASS
            )
            if len(bases) > 1:
                annotated.kwargs["schema"] = type(f"{view.__name__}Schema", bases, {})
            namespace = {name: annotated, "__module__": view.__module__, "__doc__": view.__doc__}
            return type(view.__name__, (view,), namespace)

    class _RequestTokenExtension(_EndpointExtension):
        target_class = "resetkit.views.ResetPasswordRequestToken"
        docs = REQUEST_TOKEN

    class _ValidateTokenExtension(_EndpointExtension):
        target_class = "resetkit.views.ResetPasswordValidateToken"
        docs = VALIDATE_TOKEN

    class _ConfirmExtension(_EndpointExtension):
        target_class = "resetkit.views.ResetPasswordConfirm"
        docs = CONFIRM

    class _ComponentName(OpenApiSerializerExtension):
        """Give one of resetkit's input serializers a name no project component shares."""

        component_name: str

        def get_name(self, auto_schema: Any, direction: Any) -> str:
            return self.component_name

    class _EmailName(_ComponentName):
        target_class = "resetkit.serializers.EmailSerializer"
        component_name = "PasswordResetEmail"

    class _TokenName(_ComponentName):
        target_class = "resetkit.serializers.ResetTokenSerializer"
        component_name = "PasswordResetToken"

    class _PasswordTokenName(_ComponentName):
        target_class = "resetkit.serializers.PasswordTokenSerializer"
        component_name = "PasswordResetConfirm"

    class _StaffUserField(OpenApiSerializerFieldExtension):
        """The staff API's ``user``: typed as the user model's primary key (an integer, a UUID),
        which drf-spectacular cannot derive from a field whose queryset is resolved per request."""

        target_class = "resetkit.staff.serializers.UserField"

        def map_serializer_field(self, auto_schema: Any, direction: Any) -> Any:
            from django.contrib.auth import get_user_model

            schema = dict(auto_schema._map_model_field(get_user_model()._meta.pk, direction))
            schema.pop("readOnly", None)  # the primary key is generated; this field is input
            return schema
