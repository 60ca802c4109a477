"""The flow of the e-mail + code endpoints: what makes a code flow, decided once for all three.

Codes of ``CODE_LENGTH`` digits, kept in the configured store's ``"code"`` namespace for
``CODE_EXPIRY_MINUTES`` (or the flow's or view's ``token_lifetime``), always checked against
the account named in ``email``. Subclass it to change one decision for the three code
endpoints and :class:`ResetPasswordCodeViewSet` at once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from resetkit.codes.generators import NumericCodeGenerator
from resetkit.conf import SETTING_NAME, resetkit_settings
from resetkit.flows import PasswordResetFlow
from resetkit.generators import BaseTokenGenerator

__all__ = ["CODE_NAMESPACE", "CodeResetFlow"]

#: The store namespace of the codes: the stock endpoints never find them, nor they the links.
CODE_NAMESPACE = "code"


class CodeResetFlow(PasswordResetFlow):
    """The shared decisions of the e-mail + code endpoints."""

    #: Codes are checked against the account named in ``email``, whatever ``CODE_ONLY_LOOKUP``.
    bind_codes_to_account: bool | None = True
    #: The store namespace of the codes.
    code_namespace: str = CODE_NAMESPACE

    def get_token_generator(self) -> BaseTokenGenerator:
        """``CODE_LENGTH`` random digits; a ``token_generator_class`` set on the flow (or the
        view) wins."""
        if self.token_generator_class is not None:
            return super().get_token_generator()
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

    def get_token_lifetime(self) -> timedelta:
        """How long a code lives: ``token_lifetime`` (the view's, else the flow's) when set,
        else :meth:`get_code_lifetime` (``CODE_EXPIRY_MINUTES``); never ``TOKEN_LIFETIME``."""
        return super().get_token_lifetime() or self.get_code_lifetime()

    def get_token_store_overrides(self) -> dict[str, Any]:
        """The configured store (or the flow's own), in the codes' namespace and lifetime."""
        return {"namespace": self.code_namespace, "lifetime": self.get_token_lifetime()}

    def presents_short_codes(self) -> bool:
        """Always: the code flow binds every code to its account, whatever the generator."""
        return True
