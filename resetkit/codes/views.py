"""The endpoints of the e-mail + code flow, built from the stock mixins.

:class:`CodeFlowMixin` holds what makes the flow: a generator of ``CODE_LENGTH`` digits, the
configured store in the ``"code"`` namespace with a lifetime of ``CODE_EXPIRY_MINUTES``, codes
always bound to the account named in ``email``, and delivery through ``reset_code_created``.
The steps themselves are the stock actions (``issue_tokens``, ``validate_token``,
``confirm_reset``), unchanged. Subclass a view and override a hook to change one decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from rest_framework.decorators import action
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.throttling import BaseThrottle
from rest_framework.viewsets import GenericViewSet

from resetkit.backends import ResetTokenLike
from resetkit.codes.delivery import send_code
from resetkit.codes.generators import NumericCodeGenerator
from resetkit.codes.serializers import CodePasswordSerializer, CodeSerializer, EmailSerializer
from resetkit.conf import SETTING_NAME, resetkit_settings
from resetkit.generators import BaseTokenGenerator
from resetkit.mixins import PasswordConfirmMixin, TokenIssueMixin, TokenValidateMixin
from resetkit.throttling import (
    REQUEST_TOKEN_SCOPE,
    RESET_CONFIRM_SCOPE,
    VALIDATE_TOKEN_SCOPE,
    get_endpoint_throttle_classes,
    get_password_reset_request_token_throttle_classes,
)

__all__ = [
    "CODE_NAMESPACE",
    "CodeFlowMixin",
    "ResetPasswordCodeViewSet",
    "ResetPasswordConfirmCode",
    "ResetPasswordRequestCode",
    "ResetPasswordValidateCode",
    "reset_password_code_confirm",
    "reset_password_code_request",
    "reset_password_code_validate",
]

#: The store namespace of the codes: the stock endpoints never find them, nor they the links.
CODE_NAMESPACE = "code"


class CodeFlowMixin:
    """What the three code endpoints share. Put it before the stock mixin."""

    #: Codes are checked against the account named in ``email``, whatever ``CODE_ONLY_LOOKUP``.
    bind_codes_to_account: bool | None = True
    code_namespace: str = CODE_NAMESPACE
    authentication_classes: Sequence[Any] = ()
    permission_classes: Sequence[Any] = ()

    def get_token_generator(self) -> BaseTokenGenerator:
        """``CODE_LENGTH`` random digits; a ``token_generator_class`` set on the view wins."""
        if getattr(self, "token_generator_class", None) is not None:
            return super().get_token_generator()  # type: ignore[misc]
        length = resetkit_settings.CODE_LENGTH
        try:
            return NumericCodeGenerator(length=length)
        except ImproperlyConfigured as exc:
            raise ImproperlyConfigured(f"{SETTING_NAME}['CODE_LENGTH']: {exc}") from exc

    def get_code_lifetime(self) -> timedelta:
        """How long a code lives: ``CODE_EXPIRY_MINUTES``."""
        minutes = resetkit_settings.CODE_EXPIRY_MINUTES
        if isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes <= 0:
            raise ImproperlyConfigured(
                f"{SETTING_NAME}['CODE_EXPIRY_MINUTES'] must be a positive number of minutes, "
                f"not {minutes!r}."
            )
        return timedelta(minutes=minutes)

    def get_token_store_overrides(self) -> dict[str, Any]:
        """The configured store (or the view's own), in the codes' namespace and lifetime."""
        return {"namespace": self.code_namespace, "lifetime": self.get_code_lifetime()}

    def presents_short_codes(self) -> bool:
        """Always: the code flow binds every code to its account, whatever the generator."""
        return True

    def deliver_token(self, token: ResetTokenLike) -> None:
        """Send ``reset_code_created`` (never ``reset_password_token_created``)."""
        send_code(self, token)


class ResetPasswordRequestCode(CodeFlowMixin, TokenIssueMixin, GenericAPIView):
    """POST ``{"email"}``: e-mail a code to each matching account; ``{"status": "OK"}`` always."""

    serializer_class = EmailSerializer
    throttle_scope = REQUEST_TOKEN_SCOPE

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.issue_tokens(request, *args, **kwargs)


class ResetPasswordValidateCode(CodeFlowMixin, TokenValidateMixin, GenericAPIView):
    """POST ``{"email", "code"}``: is this the account's code? Nothing is spent."""

    serializer_class = CodeSerializer
    throttle_scope = VALIDATE_TOKEN_SCOPE

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.validate_token(request, *args, **kwargs)


class ResetPasswordConfirmCode(CodeFlowMixin, PasswordConfirmMixin, GenericAPIView):
    """POST ``{"email", "code", "password"}``: set the password; the code is spent."""

    serializer_class = CodePasswordSerializer
    throttle_scope = RESET_CONFIRM_SCOPE

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.confirm_reset(request, *args, **kwargs)


class ResetPasswordCodeViewSet(
    CodeFlowMixin, TokenIssueMixin, TokenValidateMixin, PasswordConfirmMixin, GenericViewSet
):
    """The three steps on one router registration: ``create`` (POST ``<prefix>/``) requests a
    code, ``validate`` (POST ``<prefix>/validate/``) and ``confirm`` (POST
    ``<prefix>/confirm/``). Serializer, throttles and scope follow the action."""

    serializers_by_action: dict[str, type[BaseSerializer[Any]]] = {
        "create": EmailSerializer,
        "validate": CodeSerializer,
        "confirm": CodePasswordSerializer,
    }
    scopes_by_action: dict[str, str] = {
        "create": REQUEST_TOKEN_SCOPE,
        "validate": VALIDATE_TOKEN_SCOPE,
        "confirm": RESET_CONFIRM_SCOPE,
    }

    @property
    def throttle_scope(self) -> str:
        """The scope of the stock endpoint doing the same step (read by ``ScopedRateThrottle``)."""
        return self.scopes_by_action.get(getattr(self, "action", None) or "", REQUEST_TOKEN_SCOPE)

    def get_serializer_class(self) -> type[BaseSerializer[Any]]:
        return self.serializers_by_action.get(
            getattr(self, "action", None) or "", CodePasswordSerializer
        )

    def get_default_throttle_classes(self) -> Sequence[type[BaseThrottle]]:
        """The request step's throttles for ``create``; validate's and confirm's for theirs."""
        current = getattr(self, "action", None)
        if current == "validate":
            return get_endpoint_throttle_classes("VALIDATE_THROTTLE_CLASSES")
        if current == "confirm":
            return get_endpoint_throttle_classes("CONFIRM_THROTTLE_CLASSES")
        return get_password_reset_request_token_throttle_classes()

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
