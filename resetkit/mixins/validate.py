"""Step two (optional for clients): is this token still good?"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from resetkit.backends import ResetTokenLike
from resetkit.conf import resetkit_settings
from resetkit.mixins.base import ResetFlowMixin
from resetkit.throttling import get_endpoint_throttle_classes


class TokenValidateMixin(ResetFlowMixin):
    """Check a token without using it. Expects a serializer with a ``token`` field (and an
    ``email`` field for short codes).

    Skeleton: validate input → find the presented token: live, of an eligible user and, for a
    short code, of the account named in ``email`` (else the generic 404) → respond.
    """

    def validate_token(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)  # type: ignore[attr-defined]
        serializer.is_valid(raise_exception=True)
        token = self.get_presented_token(serializer.validated_data)
        self.release_code_attempt()  # a right code costs no attempt
        return self.get_validate_response(token)

    def get_default_throttle_classes(self) -> Sequence[type[BaseThrottle]]:
        """``VALIDATE_THROTTLE_CLASSES``; unset, resetkit's per-client validate throttle and DRF's
        ``DEFAULT_THROTTLE_CLASSES``."""
        return get_endpoint_throttle_classes("VALIDATE_THROTTLE_CLASSES")

    def get_validate_response(self, token: ResetTokenLike) -> Response:
        """Return the answer for a good token; with ``USER_DETAILS_ON_VALIDATION`` it names the
        account, so a reset page can greet the user."""
        data: dict[str, Any] = {"status": "OK"}
        if resetkit_settings.USER_DETAILS_ON_VALIDATION:
            user = token.user
            data["username"] = user.get_username()
            data["email"] = getattr(user, user.get_email_field_name(), "")
        return Response(data)
