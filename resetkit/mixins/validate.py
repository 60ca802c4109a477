"""Step two (optional for clients): is this token still good?"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from resetkit.backends import ResetTokenLike
from resetkit.conf import resetkit_settings
from resetkit.mixins.base import ResetStepMixin


class TokenValidateMixin(ResetStepMixin):
    """Check a token without using it. Expects a :class:`~resetkit.generics.ResetAPIView`
    whose serializer has a ``token`` field (and an ``email`` field for short codes).

    Skeleton: validate input → the flow finds the presented token: live, of an eligible user
    and, for a short code, of the account named in ``email`` (else the generic 404) → respond.
    """

    reset_step = "validate"

    def validate_token(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)  # type: ignore[attr-defined]
        serializer.is_valid(raise_exception=True)
        flow = self.get_flow()
        token = flow.get_presented_token(serializer.validated_data)
        flow.release_code_attempt()  # a right code costs no attempt
        return self.get_validate_response(token)

    def get_validate_response(self, token: ResetTokenLike) -> Response:
        """Return the answer for a good token; with ``USER_DETAILS_ON_VALIDATION`` it names the
        account, so a reset page can greet the user."""
        data: dict[str, Any] = {"status": "OK"}
        if resetkit_settings.USER_DETAILS_ON_VALIDATION:
            user = token.user
            data["username"] = user.get_username()
            data["email"] = getattr(user, user.get_email_field_name(), "")
        return Response(data)
