"""Short codes: checked against the account they are presented with, within a budget.

A six- or eight-digit code can be guessed by trying. When a flow's generator makes such codes
(under 64 bits, :func:`~resetkit.generators.makes_short_codes`), validate and confirm take the
account identifier too (``email``), look the code up among that account's tokens only, and count
the attempts per identifier before looking (:mod:`resetkit.attempts`). Every step costs the same
for an identifier with an account and one without: the one account lookup, the one token
lookup, the same counter and revocation mark in the cache.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from rest_framework.exceptions import ValidationError
from rest_framework.fields import Field

from resetkit.attempts import Attempt, CodeAttempts, CodeGuessBudget
from resetkit.backends import BaseTokenStore, ResetTokenLike
from resetkit.conf import resetkit_settings
from resetkit.generators import BaseTokenGenerator, makes_short_codes
from resetkit.throttling import parse_rate

__all__ = ["ShortCodeHooks"]

logger = logging.getLogger("resetkit")


class ShortCodeHooks:
    """The short-code hooks of :class:`~resetkit.flows.PasswordResetFlow`."""

    #: Whether a short code must come with its account's identifier and is checked against that
    #: account alone. ``None`` follows ``CODE_ONLY_LOOKUP`` (bound unless it is ``True``); the
    #: e-mail + code flow sets ``True``. Long tokens are never bound.
    bind_codes_to_account: bool | None = None
    #: The request field that names the account a short code is presented for (the field the
    #: request endpoint takes the address from).
    code_identifier_field: str = "email"

    _code_attempt: tuple[CodeAttempts, Attempt] | None = None

    if TYPE_CHECKING:  # provided by PasswordResetFlow

        def get_token_store(self) -> BaseTokenStore: ...
        def get_token_generator(self) -> BaseTokenGenerator: ...
        def get_matching_users(self, value: str) -> list[Any]: ...
        def get_valid_token(self, key: str) -> ResetTokenLike: ...
        def is_user_eligible(self, user: Any) -> bool: ...
        def token_not_found(self) -> NoReturn: ...
        def where(self, attribute: str) -> str: ...

    # -- the one entry point ---------------------------------------------------------------------

    def get_presented_token(self, validated_data: Mapping[str, Any]) -> ResetTokenLike:
        """Return the live token the client presents, or answer the generic 404. Used by the
        validate and confirm steps alike, so overriding it changes both.

        A long token is looked up as it is (:meth:`get_valid_token`); an ``email`` sent with
        it is ignored. A short code is checked against the account named in ``email`` only,
        within that identifier's attempt budget (:meth:`get_bound_token`); with
        ``CODE_ONLY_LOOKUP`` it is looked up alone, within one budget of wrong codes for all
        clients (:meth:`get_guessed_token`).
        """
        self._code_attempt = None
        key = str(validated_data["token"])
        if not self.presents_short_codes():
            return self.get_valid_token(key)
        if not self.codes_bound_to_account():
            return self.get_guessed_token(key)
        identifier = validated_data.get(self.code_identifier_field)
        if identifier is None or not str(identifier).strip():
            # DRF's own (translated) "This field is required."
            raise ValidationError(
                {self.code_identifier_field: [Field.default_error_messages["required"]]}
            )
        return self.get_bound_token(key, str(identifier))

    def presents_short_codes(self) -> bool:
        """Whether this flow's tokens are short codes, guessable by trying (under 64 bits)."""
        return makes_short_codes(self.get_token_generator())

    def codes_bound_to_account(self) -> bool:
        """Whether a short code must be presented with its account (see
        :attr:`bind_codes_to_account`)."""
        if self.bind_codes_to_account is not None:
            return bool(self.bind_codes_to_account)
        return not resetkit_settings.CODE_ONLY_LOOKUP

    # -- bound to the account --------------------------------------------------------------------

    def get_code_attempts(self) -> CodeAttempts:
        """The per-identifier attempt budget: ``CODE_ATTEMPT_LIMIT`` codes per token lifetime,
        in the store's namespace (the code flow's budget is not the stock endpoints')."""
        store = self.get_token_store()
        return CodeAttempts(
            resetkit_settings.CODE_ATTEMPT_LIMIT,
            store.get_expiry_seconds(),
            namespace=store.namespace,
        )

    def get_bound_token(self, key: str, identifier: str) -> ResetTokenLike:
        """Return the live token for ``key`` if it belongs to an account ``identifier`` names
        (:meth:`get_matching_users`, as the request step finds them).

        One attempt is reserved first (atomically); over the budget the answer is the generic
        404 and nothing is evaluated. The attempt that uses the budget's last one, if wrong,
        voids every code issued so far for the identifier and starts the count again.
        """
        attempts = self.get_code_attempts()
        attempt = attempts.reserve(identifier)
        if not attempt.allowed:
            self.token_not_found()
        self._code_attempt = (attempts, attempt)
        revoked_since = attempts.revoked_since(attempt)
        accounts = self.get_matching_users(identifier)
        token = self.get_token_store().get_token_for_users(key, accounts)
        if (
            token is None
            or not self.is_user_eligible(token.user)
            or (revoked_since is not None and token.created_at.timestamp() <= revoked_since)
        ):
            self.code_attempt_failed(attempts, attempt)
            self.token_not_found()
        return token

    def code_attempt_failed(self, attempts: CodeAttempts, attempt: Attempt) -> None:
        """A wrong code (or the right code with another account): on the budget's last attempt,
        void the identifier's codes and start the count again."""
        if attempt.last:
            attempts.revoke(attempt)
            name = type(getattr(self, "view", None) or self).__name__
            logger.warning(
                "resetkit: %s: the attempt budget of an account identifier is spent; its codes "
                "are revoked",
                name,
                extra={"reset_event": "code.attempts_exhausted", "reset_view": name},
            )
            attempts.clear(attempt)  # after the record, so a count shows what came before

    def release_code_attempt(self) -> None:
        """The presented code was right (validate, or a password the validators reject):
        give its attempt back."""
        if self._code_attempt is not None:
            attempts, attempt = self._code_attempt
            attempts.release(attempt)
            self._code_attempt = None

    def clear_code_attempts(self) -> None:
        """A reset succeeded: the account identifier's count starts again."""
        if self._code_attempt is not None:
            attempts, attempt = self._code_attempt
            attempts.clear(attempt)
            self._code_attempt = None

    # -- code alone (CODE_ONLY_LOOKUP) -----------------------------------------------------------

    def get_code_guess_budget(self) -> CodeGuessBudget:
        """The budget of wrong codes over all clients under ``CODE_ONLY_LOOKUP``
        (``CODE_ONLY_GUESS_RATE``)."""
        limit, period = parse_rate(resetkit_settings.CODE_ONLY_GUESS_RATE)
        return CodeGuessBudget(limit, period)

    def get_guessed_token(self, key: str) -> ResetTokenLike:
        """``CODE_ONLY_LOOKUP``: look ``key`` up alone, while the budget of wrong codes lasts;
        once it is spent, every code gets the generic 404 without being evaluated."""
        budget = self.get_code_guess_budget()
        guess = budget.reserve()
        if not guess.allowed:
            self.token_not_found()
        token = self.get_valid_token(key)
        budget.release(guess)  # a right code spends nothing
        return token
