"""OpenAPI 3 description of the endpoints, for drf-spectacular (the ``spectacular`` extra).

The three stock endpoints, and the three of the e-mail + code flow (:mod:`resetkit.codes`).

Nothing here is needed to serve a request. The response serializers below only describe
bodies, so a project can reuse them in its own ``@extend_schema``. When drf-spectacular is
installed, importing this module (``resetkit.views`` does) also registers its extensions:

* one view extension per endpoint, matching the ready-made views, their ViewSets and every
  subclass: it adds summaries, operation ids, the ``password-reset`` tag, each status the
  endpoint can answer with its body, the ``Retry-After`` header and the throttle scope. It
  runs when the schema is generated, so the project's ``DEFAULT_SCHEMA_CLASS`` is the one in
  force then; ``@extend_schema`` written on a subclass wins over it, key by key;
* stable component names for the input serializers (``PasswordResetEmail`` and so on), so
  they cannot collide with a project's own ``Email`` serializer; with short codes validate and
  confirm take a required ``email`` too, under components of their own.

Without drf-spectacular the module defines the serializers and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from rest_framework import serializers

from resetkit.throttling import REQUEST_TOKEN_SCOPE, RESET_CONFIRM_SCOPE, VALIDATE_TOKEN_SCOPE

__all__ = [
    "CONFIRM",
    "CONFIRM_CODE",
    "REQUEST_CODE",
    "REQUEST_TOKEN",
    "VALIDATE_CODE",
    "VALIDATE_TOKEN",
    "EndpointDocs",
    "PasswordResetCodeConfirmErrorsSerializer",
    "PasswordResetCodeErrorsSerializer",
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


_SHORT_CODES = (
    " When the configured generator makes short codes (under 64 bits, such as six digits), "
    "`email` is required too: the code is checked against that account alone, within "
    "`CODE_ATTEMPT_LIMIT` wrong codes per account (unless `CODE_ONLY_LOOKUP` is on). With "
    "long tokens `email` is ignored."
)
VALIDATE_TOKEN = replace(VALIDATE_TOKEN, description=VALIDATE_TOKEN.description + _SHORT_CODES)
CONFIRM = replace(CONFIRM, description=CONFIRM.description + _SHORT_CODES)

_CODE_NOT_FOUND = (
    "The code is wrong, expired or already used, belongs to another account, or the account's "
    "budget of wrong codes (`CODE_ATTEMPT_LIMIT`) is spent: one answer for all, whether or not "
    "the address has an account."
)

REQUEST_CODE = EndpointDocs(
    operation_id="reset_password_code_request",
    summary="Request a password-reset code by e-mail",
    description=(
        "Issue a code of `CODE_LENGTH` digits (8 by default), valid `CODE_EXPIRY_MINUTES` "
        "(15), to every eligible account whose e-mail matches `email`, and hand each to the "
        "project's `reset_code_created` receivers, which e-mail it. The answer is "
        '`{"status": "OK"}` whether or not an account matched; the lookup and the delivery run '
        "after it has been sent. Each account receives at most `ACCOUNT_TOKEN_RATE` new tokens "
        "(3 an hour by default)."
    ),
    throttling=REQUEST_TOKEN.throttling,
    ok=PasswordResetStatusSerializer,
    bad_request=PasswordResetRequestErrorsSerializer,
    bad_request_description="The e-mail is missing or malformed, or the body could not be parsed.",
    token_not_found=False,
    request_example={"email": "alice@example.com"},
)

VALIDATE_CODE = EndpointDocs(
    operation_id="reset_password_code_validate",
    summary="Check a password-reset code",
    description=(
        "Tell whether `code` is a live code of the account `email` names, without using it. "
        "Each call counts against the account's budget of `CODE_ATTEMPT_LIMIT` attempts (5); "
        "a right code gives its attempt back. The wrong code that spends the budget revokes "
        "every outstanding code of the account."
    ),
    throttling=VALIDATE_TOKEN.throttling,
    ok=PasswordResetValidationSerializer,
    bad_request=PasswordResetCodeErrorsSerializer,
    bad_request_description=(
        "The e-mail or code is missing or malformed, or the body could not be parsed."
    ),
    token_not_found=True,
    request_example={"email": "alice@example.com", "code": "04718253"},
)

CONFIRM_CODE = EndpointDocs(
    operation_id="reset_password_code_confirm",
    summary="Set a new password with a reset code",
    description=(
        "Set the password of the account `email` names, if `code` is one of its live codes. "
        "The code is spent, every other outstanding token of the account revoked, and its "
        "count of wrong codes cleared. A password that `AUTH_PASSWORD_VALIDATORS` reject gets "
        "a 400, the code stays usable and the attempt is given back."
    ),
    throttling=CONFIRM.throttling,
    ok=PasswordResetStatusSerializer,
    bad_request=PasswordResetCodeConfirmErrorsSerializer,
    bad_request_description=(
        "The e-mail, code or password is missing or malformed, the password is rejected by "
        "`AUTH_PASSWORD_VALIDATORS` (the code is kept), or the body could not be parsed."
    ),
    token_not_found=True,
    request_example={
        "email": "alice@example.com",
        "code": "04718253",
        "password": "correct-horse-battery-staple",
    },
)


def extend_schema_kwargs(docs: EndpointDocs, *, viewset: bool = False) -> dict[str, Any]:
    """Return the ``@extend_schema`` arguments documenting one endpoint (drf-spectacular
    must be installed). ``viewset`` selects the router operation id."""
    from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse

    detail = PasswordResetDetailSerializer
    not_found = _CODE_NOT_FOUND if docs.operation_id.startswith("reset_password_code") else None
    responses: dict[int, Any] = {
        200: OpenApiResponse(docs.ok, description="Done."),
        400: OpenApiResponse(docs.bad_request, description=docs.bad_request_description),
    }
    if docs.token_not_found:
        responses[404] = OpenApiResponse(detail, description=not_found or _TOKEN_NOT_FOUND)
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
    from drf_spectacular.plumbing import get_class
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

    def _documented(original: Any) -> Any:
        """A stand-in for view method ``original`` that ``@extend_schema`` can annotate; an
        ``@action``'s routing attributes are kept."""

        def documented(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
            return original(self, request, *args, **kwargs)  # pragma: no cover

        for name in ("mapping", "detail", "url_path", "url_name"):
            if hasattr(original, name):
                setattr(documented, name, getattr(original, name))
        if hasattr(original, "mapping"):
            own = dict(getattr(original, "kwargs", {}) or {})
            own.pop("schema", None)
            documented.kwargs = own  # type: ignore[attr-defined]
        return documented

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

        def documented_methods(self, viewset: bool) -> dict[str, EndpointDocs]:
            """View method name -> what it documents."""
            return {"create" if viewset else "post": self.docs}

        def view_replacement(self) -> Any:
            from rest_framework.settings import api_settings
            from rest_framework.viewsets import ViewSetMixin

            view = self.target
            viewset = issubclass(view, ViewSetMixin)
            namespace: dict[str, Any] = {"__module__": view.__module__, "__doc__": view.__doc__}
            for name, docs in self.documented_methods(viewset).items():
                original = getattr(view, name)
                # On a bare function, extend_schema builds on DEFAULT_SCHEMA_CLASS as it is now.
                annotated: Any = extend_schema(**extend_schema_kwargs(docs, viewset=viewset))(
                    _documented(original)
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
                namespace[name] = annotated
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

    class _RequestCodeExtension(_EndpointExtension):
        target_class = "resetkit.codes.views.ResetPasswordRequestCode"
        docs = REQUEST_CODE

    class _ValidateCodeExtension(_EndpointExtension):
        target_class = "resetkit.codes.views.ResetPasswordValidateCode"
        docs = VALIDATE_CODE

    class _ConfirmCodeExtension(_EndpointExtension):
        target_class = "resetkit.codes.views.ResetPasswordConfirmCode"
        docs = CONFIRM_CODE

    class _CodeViewSetExtension(_EndpointExtension):
        """The code flow's one ViewSet: three actions, three operations."""

        target_class = "resetkit.codes.views.ResetPasswordCodeViewSet"
        docs = REQUEST_CODE

        def documented_methods(self, viewset: bool) -> dict[str, EndpointDocs]:
            return {"create": REQUEST_CODE, "validate": VALIDATE_CODE, "confirm": CONFIRM_CODE}

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
