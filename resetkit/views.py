"""Ready-made endpoints: a step mixin plus :class:`~resetkit.generics.ResetAPIView` (or
``ResetViewSet``), almost no body.

Names, URL behaviour and signals are those of django-rest-passwordreset. What the three steps
share (store, generator, users, lookup, the "not found" answer) is the views' flow: override it
once on a :class:`~resetkit.flows.PasswordResetFlow` subclass and set ``RESETKIT["FLOW_CLASS"]``
or ``flow_class``. A step's own hooks are overridden on its view. Options go to ``as_view()``::

    ResetPasswordRequestToken.as_view(flow_class=TenantFlow)
    ResetPasswordRequestToken.as_view(token_store_class=CacheTokenStore)
"""

from typing import Any

from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

# Imported for its side effect: the OpenAPI description of these views, when drf-spectacular
# is installed (see resetkit.schema).
import resetkit.schema  # noqa: F401
from resetkit.generics import ResetAPIView, ResetViewSet
from resetkit.issuing import clear_expired_tokens, generate_token_for_email
from resetkit.mixins import PasswordConfirmMixin, TokenIssueMixin, TokenValidateMixin
from resetkit.serializers import EmailSerializer, PasswordTokenSerializer, ResetTokenSerializer
from resetkit.throttling import REQUEST_TOKEN_SCOPE, RESET_CONFIRM_SCOPE, VALIDATE_TOKEN_SCOPE

__all__ = [
    "PasswordResetViewSet",
    "ResetPasswordConfirm",
    "ResetPasswordConfirmViewSet",
    "ResetPasswordRequestToken",
    "ResetPasswordRequestTokenViewSet",
    "ResetPasswordValidateToken",
    "ResetPasswordValidateTokenViewSet",
    "clear_expired_tokens",
    "generate_token_for_email",
    "reset_password_confirm",
    "reset_password_request_token",
    "reset_password_validate_token",
]


class ResetPasswordRequestToken(TokenIssueMixin, ResetAPIView):
    """Request a reset token by e-mail; answers ``{"status": "OK"}`` whatever the account."""

    serializer_class = EmailSerializer
    throttle_scope = REQUEST_TOKEN_SCOPE

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.issue_tokens(request, *args, **kwargs)


class ResetPasswordValidateToken(TokenValidateMixin, ResetAPIView):
    """Check that a token is usable, without using it."""

    serializer_class = ResetTokenSerializer
    throttle_scope = VALIDATE_TOKEN_SCOPE

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.validate_token(request, *args, **kwargs)


class ResetPasswordConfirm(PasswordConfirmMixin, ResetAPIView):
    """Set a new password with a token; the token is spent."""

    serializer_class = PasswordTokenSerializer
    throttle_scope = RESET_CONFIRM_SCOPE

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.confirm_reset(request, *args, **kwargs)


class ResetPasswordRequestTokenViewSet(ResetPasswordRequestToken, GenericViewSet):
    """Router-friendly :class:`ResetPasswordRequestToken` (``create`` = POST)."""

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.issue_tokens(request, *args, **kwargs)


class ResetPasswordValidateTokenViewSet(ResetPasswordValidateToken, GenericViewSet):
    """Router-friendly :class:`ResetPasswordValidateToken` (``create`` = POST)."""

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.validate_token(request, *args, **kwargs)


class ResetPasswordConfirmViewSet(ResetPasswordConfirm, GenericViewSet):
    """Router-friendly :class:`ResetPasswordConfirm` (``create`` = POST)."""

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.confirm_reset(request, *args, **kwargs)


class PasswordResetViewSet(TokenIssueMixin, TokenValidateMixin, PasswordConfirmMixin, ResetViewSet):
    """The three steps on one router registration, with one flow: ``create`` (POST
    ``<prefix>/``) requests a token, ``validate`` (POST ``<prefix>/validate_token/``) and
    ``confirm`` (POST ``<prefix>/confirm/``). Serializer, throttles and scope follow the step.
    Register it with :func:`resetkit.urls.add_password_reset_viewset_to_router`."""

    serializers_by_step = {
        "request": EmailSerializer,
        "validate": ResetTokenSerializer,
        "confirm": PasswordTokenSerializer,
    }

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.issue_tokens(request, *args, **kwargs)

    @action(detail=False, methods=["post"], url_path="validate_token")
    def validate(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.validate_token(request, *args, **kwargs)

    @action(detail=False, methods=["post"])
    def confirm(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.confirm_reset(request, *args, **kwargs)


reset_password_request_token = ResetPasswordRequestToken.as_view()
reset_password_validate_token = ResetPasswordValidateToken.as_view()
reset_password_confirm = ResetPasswordConfirm.as_view()
