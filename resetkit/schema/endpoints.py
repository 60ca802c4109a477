"""What each endpoint documents (:class:`EndpointDocs`), and :func:`extend_schema_kwargs`,
which turns that into ``@extend_schema`` arguments."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from rest_framework import serializers

from resetkit.schema.responses import (
    PasswordResetCodeConfirmErrorsSerializer,
    PasswordResetCodeErrorsSerializer,
    PasswordResetConfirmErrorsSerializer,
    PasswordResetDetailSerializer,
    PasswordResetRequestErrorsSerializer,
    PasswordResetStatusSerializer,
    PasswordResetTokenErrorsSerializer,
    PasswordResetValidationSerializer,
)
from resetkit.throttling import REQUEST_TOKEN_SCOPE, RESET_CONFIRM_SCOPE, VALIDATE_TOKEN_SCOPE

TAG = "password-reset"


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
