"""Atomic counters in a Django cache: every limit resetkit ships is one increment-and-compare.

A limit that reads a count and then writes it back lets simultaneous requests all read the
same count and all pass. Here each request *increments first* (``cache.incr``: one ``INCRBY``
on Redis, one ``incr`` on Memcached, under a lock on ``LocMemCache``) and is allowed only if the
value it got back is within the limit. Of any number of simultaneous requests, at most
``limit`` see such a value. A refused request gives its increment back, so a client hammering
a closed limit does not push it further into the future.

Two windows are offered:

* **fixed**: one counter per period (``3/hour`` counts from the top of the hour); simple, but a
  client can spend its budget at the end of one period and again at the start of the next;
* **sliding** (the default): the previous period's count, weighted by how much of it still
  overlaps the last ``period`` seconds, is added to the current one. Still one atomic
  increment per request, and a burst across the boundary is bounded by the limit.

Counts live in the cache: shared by every server when that cache is (Redis, Memcached),
per process with ``LocMemCache``. Time comes from :func:`django.utils.timezone.now`, so tests
can move it. The database and file caches implement ``incr`` as a read and a write; use Redis or
Memcached where simultaneous requests matter.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Literal

from django.core.cache import BaseCache, caches
from django.utils import timezone

__all__ = ["Hit", "WindowCounter"]

Window = Literal["fixed", "sliding"]


@dataclass(frozen=True)
class Hit:
    """What one increment found: whether it is within the limit, and when to come back."""

    allowed: bool
    count: float
    retry_after: float


class WindowCounter:
    """Count events per ``ident`` in windows of ``period`` seconds, allowing ``limit`` of them.

    ``prefix`` names the limit (a throttle's scope, say); ``ident`` the thing counted (a client
    address, an account). Keys are ``<prefix>:<ident>:<window number>`` and expire on their own
    after two periods.
    """

    def __init__(
        self,
        prefix: str,
        limit: int,
        period: int,
        *,
        window: Window = "sliding",
        cache_alias: str = "default",
    ) -> None:
        if window not in ("fixed", "sliding"):
            raise ValueError(f"window must be 'fixed' or 'sliding', not {window!r}")
        if period <= 0:
            raise ValueError(f"period must be a positive number of seconds, not {period!r}")
        self.prefix = prefix
        self.limit = limit
        self.period = period
        self.window = window
        self.cache_alias = cache_alias

    @property
    def cache(self) -> BaseCache:
        # Looked up per call, so a CACHES override (tests, reconfiguration) reaches us.
        return caches[self.cache_alias]

    def key(self, ident: str, number: int) -> str:
        return f"{self.prefix}:{ident}:{number}"

    def _position(self) -> tuple[int, float]:
        """The current window's number and how far into it we are (0 to 1)."""
        now = timezone.now().timestamp()
        number = math.floor(now / self.period)
        return number, now / self.period - number

    def _increment(self, key: str, delta: int = 1) -> int:
        """Add ``delta`` to ``key``, creating it at 0 first; atomic where ``incr`` is."""
        for _ in range(3):
            self.cache.add(key, 0, 2 * self.period + 1)
            try:
                return int(self.cache.incr(key, delta))
            except ValueError:  # evicted or cleared between add() and incr(): create it again
                continue
        raise RuntimeError(f"cache {self.cache_alias!r} keeps losing counter {key!r}")

    def _previous_weight(self, ident: str, number: int, progress: float) -> float:
        if self.window == "fixed":
            return 0.0
        previous = self.cache.get(self.key(ident, number - 1)) or 0
        return float(previous) * (1.0 - progress)

    def hit(self, ident: str) -> Hit:
        """Count one event for ``ident``; refused (and given back) when over the limit."""
        number, progress = self._position()
        key = self.key(ident, number)
        count = self._increment(key)
        weighted = self._previous_weight(ident, number, progress) + count
        if weighted <= self.limit:
            return Hit(True, weighted, 0.0)
        self._give_back(key)
        return Hit(False, weighted - 1, self._retry_after(ident, number, progress, count - 1))

    def peek(self, ident: str) -> float:
        """The weighted count now, without counting anything."""
        number, progress = self._position()
        current = self.cache.get(self.key(ident, number)) or 0
        return self._previous_weight(ident, number, progress) + float(current)

    def reset(self, ident: str) -> None:
        """Forget ``ident``'s counts: a fresh budget."""
        number, _progress = self._position()
        self.cache.delete_many([self.key(ident, number), self.key(ident, number - 1)])

    def _give_back(self, key: str) -> None:
        with contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
            self.cache.decr(key)

    def _retry_after(self, ident: str, number: int, progress: float, current: int) -> float:
        """Seconds until one more event would be allowed (an estimate for the sliding window)."""
        left_in_window = (1.0 - progress) * self.period
        if self.window == "fixed" or current + 1 > self.limit:
            if self.window == "fixed" or current == 0:
                return left_in_window
            # Next window: this one's count, fading, must leave room for one more.
            needed = max(0.0, 1.0 - (self.limit - 1) / current)
            return left_in_window + needed * self.period
        previous = self.cache.get(self.key(ident, number - 1)) or 0
        if not previous:
            return 0.0
        needed = 1.0 - (self.limit - current - 1) / float(previous)
        return max(0.0, (needed - progress) * self.period)
