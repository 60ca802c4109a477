"""The per-account budget of new tokens (``ACCOUNT_TOKEN_RATE``, 3 an hour by default).

Throttles per client address cannot stop an attacker who rotates addresses from mail-bombing
one user; this budget can. It is one :class:`~resetkit.counters.WindowCounter` per account: a
new token is one atomic increment, so however many requests for one account arrive together,
no ``period``-long interval ever issues more than the rate's number of tokens. Over the budget
nothing is issued, and nothing in the answer changes.

The counts live in Django's ``default`` cache: shared by every server when that cache is
(Redis, Memcached), per process with ``LocMemCache``. Time comes from
:func:`django.utils.timezone.now`, so tests can move it.
"""

from __future__ import annotations

from typing import Any

from resetkit.counters import WindowCounter

__all__ = ["AccountTokenBudget"]

PREFIX = "resetkit:account-budget"


class AccountTokenBudget:
    """How many new tokens one account may receive per period, in DRF's rate syntax
    (``"3/hour"``); ``None`` or ``""``: no limit."""

    #: The sliding window (see :mod:`resetkit.counters`); ``"fixed"`` counts per clock period.
    window: Any = "sliding"
    cache_alias = "default"

    def __init__(self, rate: str | None) -> None:
        from resetkit.throttling import parse_rate

        self.rate = rate
        self.num_requests, self.duration = parse_rate(rate) if rate else (0, 0)

    @property
    def counter(self) -> WindowCounter | None:
        if not self.rate:
            return None
        return WindowCounter(
            f"{PREFIX}:{self.duration}",
            self.num_requests,
            self.duration,
            window=self.window,
            cache_alias=self.cache_alias,
        )

    @staticmethod
    def ident(user: Any) -> str:
        return str(user.pk)

    def consume(self, user: Any) -> bool:
        """Count one new token for ``user``; ``False`` when the budget is spent."""
        counter = self.counter
        if counter is None:
            return True
        return counter.hit(self.ident(user)).allowed

    def clear(self, user: Any) -> bool:
        """Forget ``user``'s count (a fresh budget); ``True`` if there was one."""
        counter = self.counter
        if counter is None:
            return False
        return counter.reset(self.ident(user))
