"""Step three: a token and a new password; the token is spent and the password set."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import router, transaction
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle

from resetkit.backends import ResetTokenLike
from resetkit.mixins.base import ResetFlowMixin
from resetkit.revokers import get_post_reset_revokers
from resetkit.signals import post_password_reset, pre_password_reset
from resetkit.throttling import get_endpoint_throttle_classes


class PasswordConfirmMixin(ResetFlowMixin):
    """Set a new password with a token. Expects a serializer with ``token`` and ``password``.

    Skeleton: validate input → find the live token of an eligible user (else the generic 404)
    → run the password validators (400, token kept) → spend the token and set the password
    in one transaction → respond.
    """

    def confirm_reset(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)  # type: ignore[attr-defined]
        serializer.is_valid(raise_exception=True)
        token = self.get_valid_token(serializer.validated_data["token"])
        password = serializer.validated_data["password"]
        self.check_password(password, token.user)
        self.perform_reset(token, password)
        return self.get_confirm_response(token)

    def get_default_throttle_classes(self) -> Sequence[type[BaseThrottle]]:
        """``CONFIRM_THROTTLE_CLASSES``, else DRF's ``DEFAULT_THROTTLE_CLASSES``."""
        return get_endpoint_throttle_classes("CONFIRM_THROTTLE_CLASSES")

    def check_password(self, password: str, user: Any) -> None:
        """Run ``AUTH_PASSWORD_VALIDATORS`` (Django's cached instances); 400 on failure."""
        try:
            password_validation.validate_password(password, user=user)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"password": list(exc.messages)}) from exc

    def perform_reset(self, token: ResetTokenLike, password: str) -> None:
        """Spend ``token``, revoke the user's other tokens and set the password, atomically.

        The store consumes and revokes first (one statement on the ORM store): of concurrent
        confirms with tokens of one user only one gets past that line, so
        ``pre_password_reset`` is sent only for the reset that will happen. A loser leaves
        through the generic 404, which rolls its transaction back.
        """
        store = self.get_token_store()
        user = token.user
        with transaction.atomic(using=router.db_for_write(type(user))):
            if not store.consume_and_revoke(token):
                self.token_not_found()
            pre_password_reset.send(sender=self.__class__, user=user, reset_password_token=token)
            self.set_password(user, password)
            self.revoke_other_credentials(user)
        post_password_reset.send(sender=self.__class__, user=user, reset_password_token=token)

    def set_password(self, user: Any, password: str) -> None:
        """Hash and save the new password (only the password column is written)."""
        user.set_password(password)
        user.save(update_fields=["password"])

    def revoke_other_credentials(self, user: Any) -> None:
        """Call each of ``POST_RESET_REVOKERS`` with ``user``, inside the reset's transaction:
        whoever knew the old password may hold API or refresh tokens made with it."""
        for revoker in get_post_reset_revokers():
            revoker(user)

    def get_confirm_response(self, token: ResetTokenLike) -> Response:
        """Return the answer after a successful reset."""
        return Response({"status": "OK"})
