"""Step three: a token and a new password; the token is spent and the password set."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import router
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from resetkit.backends import BaseTokenStore, ResetTokenLike
from resetkit.events import loggable_pk
from resetkit.exceptions import StoreUnavailable
from resetkit.locking import lock_user_row, reset_transaction
from resetkit.mixins.base import ResetStepMixin
from resetkit.revokers import get_post_reset_revokers
from resetkit.signals import post_password_reset, pre_password_reset

logger = logging.getLogger("resetkit")

#: ``reset_event`` of the record logged when a reset fails after its checks passed.
CONFIRM_FAILED = "confirm.failed"


class PasswordConfirmMixin(ResetStepMixin):
    """Set a new password with a token. Expects a :class:`~resetkit.generics.ResetAPIView`
    whose serializer has ``token`` and ``password``.

    Skeleton: validate input → the flow finds the live token of an eligible user (else the
    generic 404) → run the password validators (400, token kept) → spend the token and set the
    password in one transaction → respond.
    """

    reset_step = "confirm"

    def confirm_reset(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)  # type: ignore[attr-defined]
        serializer.is_valid(raise_exception=True)
        flow = self.get_flow()
        token = flow.get_presented_token(serializer.validated_data)
        password = serializer.validated_data["password"]
        try:
            self.check_password(password, token.user)
        except exceptions.ValidationError:
            flow.release_code_attempt()  # the code was right: a weak password costs no attempt
            raise
        self.perform_reset(token, password)
        try:
            flow.clear_code_attempts()
        except StoreUnavailable:
            # The reset is committed: an unreachable cache only leaves the count to expire.
            logger.warning("resetkit: could not clear the code attempts after a reset")
        return self.get_confirm_response(token)

    def check_password(self, password: str, user: Any) -> None:
        """Run ``AUTH_PASSWORD_VALIDATORS`` (Django's cached instances); 400 on failure."""
        try:
            password_validation.validate_password(password, user=user)
        except DjangoValidationError as exc:
            raise exceptions.ValidationError({"password": list(exc.messages)}) from exc

    def perform_reset(self, token: ResetTokenLike, password: str) -> None:
        """Set the password if it is still the one ``token`` was issued under; all or nothing.

        In one transaction on the user model's database (and one on the store's database when
        that is another, :func:`~resetkit.locking.reset_transaction`):

        1. lock the user's row and read it afresh (:meth:`lock_user`); unless its password is
           still the one the token was issued under and the user is still eligible, the
           generic 404, with nothing sent and nothing changed (compare-and-set: a password
           changed elsewhere meanwhile is never overwritten). The lock queues every confirm
           of one user, so of concurrent confirms only the first gets past this line;
        2. :meth:`revoke_other_credentials` (``POST_RESET_REVOKERS``);
        3. ``pre_password_reset``;
        4. :meth:`set_password`;
        5. the store spends the token and revokes the user's others (:meth:`consume_token`).
           Last, so that on a store outside the database (a cache), which no rollback
           reaches, everything that can fail has run before the token is spent; if the
           token is gone by now, the generic 404.

        Any failure rolls the transaction back: the password, the revokers' database writes
        and the store's rows (ORM store) are as they were, the token still works, and
        ``post_password_reset`` is not sent. The failure is logged on the ``resetkit`` logger
        (``confirm.failed``) and answered 5xx (503 for an unreachable database or cache, else
        500). ``post_password_reset`` is sent once the block is closed, with the locked,
        fresh user (``token.user`` is set to it too).
        """
        flow = self.get_flow()
        store = flow.get_token_store()
        using = router.db_for_write(type(token.user))
        with reset_transaction(using, store):
            user = self.lock_user(token.user, using)
            if (
                user is None
                or not store.password_unchanged(user, token.password_fingerprint)
                or not flow.is_user_eligible(user)
            ):
                flow.token_not_found()
            token.user = user
            step = "revoke_other_credentials"
            try:
                self.revoke_other_credentials(user)
                step = "pre_password_reset"
                pre_password_reset.send(
                    sender=self.__class__, instance=self, user=user, reset_password_token=token
                )
                step = "set_password"
                self.set_password(user, password)
                step = "consume_token"
                consumed = self.consume_token(store, token)
            except exceptions.APIException:
                raise  # an answer a hook chose (a 404, a 400): not a failure of the reset
            except Exception as exc:
                self.log_reset_failure(token, step, exc)
                raise
            if not consumed:
                flow.token_not_found()
        post_password_reset.send(
            sender=self.__class__, instance=self, user=user, reset_password_token=token
        )

    def lock_user(self, user: Any, using: str) -> Any | None:
        """Lock ``user``'s row until the reset's transaction ends and return it read afresh
        (``None`` if it is gone).

        ``SELECT ... FOR UPDATE`` where the database has it (``FOR NO KEY UPDATE`` on
        PostgreSQL, which lets rows that reference the user, such as new tokens, be written
        meanwhile). Elsewhere (SQLite) a write that changes nothing takes the database's
        write lock first, so that concurrent resets queue here rather than after they have
        read the row (unless the transaction took that lock when it began:
        ``"transaction_mode": "IMMEDIATE"`` or ``"EXCLUSIVE"``).
        """
        return lock_user_row(user, using)

    def set_password(self, user: Any, password: str) -> None:
        """Hash and save the new password (only the password column is written)."""
        user.set_password(password)
        user.save(update_fields=["password"])

    def revoke_other_credentials(self, user: Any) -> None:
        """Call each of ``POST_RESET_REVOKERS`` with ``user``, inside the reset's transaction:
        whoever knew the old password may hold API or refresh tokens made with it. A revoker
        that raises undoes the reset."""
        for revoker in get_post_reset_revokers():
            revoker(user)

    def consume_token(self, store: BaseTokenStore, token: ResetTokenLike) -> bool:
        """Spend ``token`` and revoke the user's other tokens (the store's
        ``consume_and_revoke``); return whether this reset spent it."""
        return store.consume_and_revoke(token)

    def log_reset_failure(self, token: ResetTokenLike, step: str, exc: BaseException) -> None:
        """Log a reset that failed after its checks passed (and was rolled back)."""
        pk = getattr(token.user, "pk", None)
        logger.error(
            "resetkit: %s: the reset of user pk=%s failed in %s (%s: %s); it was rolled back, "
            "the password is unchanged.",
            type(self).__name__,
            pk,
            step,
            type(exc).__name__,
            exc,
            exc_info=exc,
            extra={
                "reset_event": CONFIRM_FAILED,
                "reset_view": type(self).__name__,
                "reset_user_pk": None if pk is None else loggable_pk(pk),
                "reset_step": step,
            },
        )

    def get_confirm_response(self, token: ResetTokenLike) -> Response:
        """Return the answer after a successful reset."""
        return Response({"status": "OK"})
