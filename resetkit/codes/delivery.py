"""Delivery of codes: the ``reset_code_created`` signal, never ``reset_password_token_created``.

Receivers of ``reset_password_token_created`` build links (``resetkit.contrib.email`` puts the
token in ``RESET_URL``); a code sent through them would arrive as a broken link. Codes go to
receivers of :data:`resetkit.signals.reset_code_created` instead, such as the code e-mail of
:mod:`resetkit.contrib.email`. A receiver that raises is logged and changes nothing.
"""

from __future__ import annotations

from typing import Any

from resetkit.backends import ResetTokenLike
from resetkit.signals import reset_code_created

__all__ = ["send_code"]


def send_code(view: Any, token: ResetTokenLike) -> None:
    """Send ``reset_code_created`` for one issued code (``token.key`` is the code)."""
    reset_code_created.send(sender=type(view), instance=view, reset_password_token=token)
