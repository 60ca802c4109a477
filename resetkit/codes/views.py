"""The endpoints of the e-mail + code flow: the stock step mixins with :class:`CodeResetFlow`.

The flow holds what makes the code flow (a generator of ``CODE_LENGTH`` digits, the
``"code"`` namespace with a lifetime of ``CODE_EXPIRY_MINUTES``, codes bound to the account
named in ``email``); the request step delivers through ``reset_code_created``. The steps
themselves are the stock actions (``issue_tokens``, ``validate_token``, ``confirm_reset``),
unchanged. Subclass :class:`CodeResetFlow` to change a shared decision for all of them, or a
view to change one step.
"""

from __future__ import annotations

from typing import Any

from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from resetkit.backends import ResetTokenLike
from resetkit.codes.delivery import send_code
from resetkit.codes.flows import CODE_NAMESPACE, CodeResetFlow
from resetkit.codes.serializers import CodePasswordSerializer, CodeSerializer, EmailSerializer
from resetkit.flows import PasswordResetFlow
from resetkit.generics import ResetAPIView, ResetViewSet
from resetkit.mixins import PasswordConfirmMixin, TokenIssueMixin, TokenValidateMixin
from resetkit.throttling import REQUEST_TOKEN_SCOPE, RESET_CONFIRM_SCOPE, VALIDATE_TOKEN_SCOPE

__all__ = [
    "CODE_NAMESPACE",
    "CodeResetFlow",
    "ResetPasswordCodeViewSet",
    "ResetPasswordConfirmCode",
    "ResetPasswordRequestCode",
    "ResetPasswordValidateCode",
    "reset_password_code_confirm",
    "reset_password_code_request",
    "reset_password_code_validate",
]


class SendsCodes(TokenIssueMixin):
    """The request step of the code flow: codes go to ``reset_code_created`` receivers."""

    flow_class: type[PasswordResetFlow] | str | None = CodeResetFlow

    def deliver_token(self, token: ResetTokenLike) -> None:
        """Send ``reset_code_created`` (never ``reset_password_token_created``)."""
        send_code(self, token)


class ResetPasswordRequestCode(SendsCodes, ResetAPIView):
    """POST ``{"email"}``: e-mail a code to each matching account; ``{"status": "OK"}`` always."""

    serializer_class = EmailSerializer
    throttle_scope = REQUEST_TOKEN_SCOPE

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.issue_tokens(request, *args, **kwargs)


class ResetPasswordValidateCode(TokenValidateMixin, ResetAPIView):
    """POST ``{"email", "code"}``: is this the account's code? Nothing is spent."""

    flow_class = CodeResetFlow
    serializer_class = CodeSerializer
    throttle_scope = VALIDATE_TOKEN_SCOPE

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.validate_token(request, *args, **kwargs)


class ResetPasswordConfirmCode(PasswordConfirmMixin, ResetAPIView):
    """POST ``{"email", "code", "password"}``: set the password; the code is spent."""

    flow_class = CodeResetFlow
    serializer_class = CodePasswordSerializer
    throttle_scope = RESET_CONFIRM_SCOPE

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.confirm_reset(request, *args, **kwargs)


class ResetPasswordCodeViewSet(SendsCodes, TokenValidateMixin, PasswordConfirmMixin, ResetViewSet):
    """The three steps on one router registration: ``create`` (POST ``<prefix>/``) requests a
    code, ``validate`` (POST ``<prefix>/validate/``) and ``confirm`` (POST
    ``<prefix>/confirm/``). Serializer, throttles and scope follow the step."""

    serializers_by_step = {
        "request": EmailSerializer,
        "validate": CodeSerializer,
        "confirm": CodePasswordSerializer,
    }

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.issue_tokens(request, *args, **kwargs)

    @action(detail=False, methods=["post"])
    def validate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.validate_token(request, *args, **kwargs)

    @action(detail=False, methods=["post"])
    def confirm(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.confirm_reset(request, *args, **kwargs)


reset_password_code_request = ResetPasswordRequestCode.as_view()
reset_password_code_validate = ResetPasswordValidateCode.as_view()
reset_password_code_confirm = ResetPasswordConfirmCode.as_view()
