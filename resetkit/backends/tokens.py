"""What a store hands out: the token objects every store returns, and its one refusal.

Apart from the store contract (:mod:`resetkit.backends.base`) so that code that only reads
tokens (signals, receivers, the e-mail helpers) needs nothing of the stores themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

__all__ = ["DuplicateTokenError", "ResetToken", "ResetTokenLike"]


class DuplicateTokenError(ValueError):
    """``create_token()`` got a key that is already outstanding; generate another and retry.

    Short keys (six-digit codes) collide. A store refuses the second issue rather than let one
    key open two accounts.
    """


class ResetTokenLike(Protocol):
    """What views, signals and receivers may rely on, whatever the store."""

    key: str | None
    digest: str
    user: Any
    created_at: datetime
    ip_address: str | None
    user_agent: str
    password_fingerprint: str

    @property
    def expires_at(self) -> datetime: ...


@dataclass
class ResetToken:
    """An outstanding token of a store that has no model of its own (the cache store)."""

    key: str | None
    digest: str
    user: Any
    created_at: datetime
    expires_at: datetime
    ip_address: str | None = None
    user_agent: str = ""
    #: Keyed fingerprint of the password the token was issued under (see :mod:`resetkit.digests`).
    password_fingerprint: str = ""

    def __str__(self) -> str:
        return f"Password reset token for user {self.user}"
