"""Ready-made endpoints: a mixin plus DRF's ``GenericAPIView`` or ``GenericViewSet``.

Names, URL behaviour and signals are those of django-rest-passwordreset. To customise, subclass
a view and override a hook of its mixin, or pass attributes to ``as_view()``::

    ResetPasswordRequestToken.as_view(token_store_class=CacheTokenStore)
"""

from typing import Any

from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.viewsets import GenericViewSet

# Imported for its side effect: the OpenAPI description of these views, when drf-spectacular
# is installed (see resetkit.schema).
import resetkit.schema  # noqa: F401
from resetkit.issuing import clear_expired_tokens, generate_token_for_email
from resetkit.mixins import PasswordConfirmMixin, TokenIssueMixin, TokenValidateMixin
from resetkit.serializers import EmailSerializer, PasswordTokenSerializer, ResetTokenSerializer
from resetkit.throttling import REQUEST_TOKEN_SCOPE, RESET_CONFIRM_SCOPE, VALIDATE_TOKEN_SCOPE

__all__ = [
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


class ResetPasswordRequestToken(TokenIssueMixin, GenericAPIView):
    """Request a reset token by e-mail; answers ``{"status": "OK"}`` whatever the account."""

    serializer_class = EmailSerializer
    authentication_classes = ()
    permission_classes = ()
    throttle_scope = REQUEST_TOKEN_SCOPE

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.issue_tokens(request, *args, **kwargs)


class ResetPasswordValidateToken(TokenValidateMixin, GenericAPIView):
    """Check that a token is usable, without using it."""

    serializer_class = ResetTokenSerializer
    authentication_classes = ()
    permission_classes = ()
    throttle_scope = VALIDATE_TOKEN_SCOPE

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.validate_token(request, *args, **kwargs)


class ResetPasswordConfirm(PasswordConfirmMixin, GenericAPIView):
    """Set a new password with a token; the token is spent."""

    serializer_class = PasswordTokenSerializer
    authentication_classes = ()
    permission_classes = ()
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


reset_password_request_token = ResetPasswordRequestToken.as_view()
reset_password_validate_token = ResetPasswordValidateToken.as_view()
reset_password_confirm = ResetPasswordConfirm.as_view()
