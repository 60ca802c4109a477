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

__all__ = ["AccountTokenBudget", "RateBudget"]

PREFIX = "resetkit:account-budget"


class RateBudget:
    """At most a rate's number of events per subject (DRF rate syntax, ``"3/hour"``; ``None`` or
    ``""``: no limit), each one atomic increment. Subclasses name their counter (``prefix``)
    and say how a subject is keyed (:meth:`ident`)."""

    prefix: str = "resetkit:budget"
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
            f"{self.prefix}:{self.duration}",
            self.num_requests,
            self.duration,
            window=self.window,
            cache_alias=self.cache_alias,
        )

    def ident(self, subject: Any) -> str:
        """The key ``subject`` is counted under."""
        raise NotImplementedError("subclasses of RateBudget must provide an ident() method")

    def consume(self, subject: Any) -> bool:
        """Count one event for ``subject``; ``False`` when its budget is spent."""
        counter = self.counter
        if counter is None:
            return True
        return counter.hit(self.ident(subject)).allowed

    def refund(self, subject: Any) -> None:
        """Uncount one event of ``subject`` that, after all, did not happen (a token that could
        not be issued)."""
        counter = self.counter
        if counter is not None:
            counter.give_back(self.ident(subject))

    def clear(self, subject: Any) -> bool:
        """Forget ``subject``'s count (a fresh budget); ``True`` if there was one."""
        counter = self.counter
        return False if counter is None else counter.reset(self.ident(subject))


class AccountTokenBudget(RateBudget):
    """How many new tokens one account may receive per period (``ACCOUNT_TOKEN_RATE``)."""

    prefix = PREFIX

    def ident(self, subject: Any) -> str:
        return str(subject.pk)
