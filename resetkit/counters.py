"""Atomic counters in a Django cache: every limit resetkit ships is one increment-and-compare.

A limit that reads a count and then writes it back lets simultaneous requests all read the
same count and all pass. Here each request *increments first* (``cache.add`` then
``cache.incr``: ``SET NX`` and ``INCRBY`` on Redis, ``add`` and ``incr`` on Memcached, under a
lock on ``LocMemCache``) and is allowed only if the count it got back, with the rest of its
window, is within the limit. The value ``incr`` returns includes every earlier increment, so of
any number of simultaneous requests at most ``limit`` are allowed. A refused request gives its
increment back, so a client hammering a closed limit does not push it further into the future.

Two windows are offered:

* **fixed**: one counter per period (``3/hour`` counts from the top of the hour); one
  increment per event, but a client can spend its budget at the end of one period and again at
  the start of the next (up to twice the limit within one period);
* **sliding** (the default): the period is cut into ``slices`` (60) short counters; an event
  increments the current slice and is allowed if the slices that overlap the last ``period``
  seconds (and the next slice, which another server's clock may already be in) hold at most
  ``limit`` events. So **no ``period``-long interval ever holds more than ``limit`` allowed
  events**; the price is that a slice is forgotten as a whole: a client may wait up to one
  slice (a sixtieth of the period) longer than an exact log would make it. Still one atomic
  increment per event, plus one ``get_many`` (one ``MGET``).

On Django's ``RedisCache`` an event costs **one round trip**: a Lua script increments the
current slice, sets its expiry, sums the window and gives a refused event back, atomically, on
the primary server (:mod:`resetkit.redis_client`; a replica could answer with a count that
misses the latest events). Other caches take the portable path above (``add``, ``incr``,
``get_many``, ``decr``), with the same answers.

``Hit.retry_after`` is the time until one more event would be allowed if nothing else happened:
exact for both windows.

Counts live in the cache: shared by every server when that cache is (Redis, Memcached),
per process with ``LocMemCache``. Time comes from :func:`django.utils.timezone.now`, never from
the cache's own expiry, so tests can move it (on Redis too: keys only expire to free memory).
The database and file caches implement ``incr`` as a read and a write; use Redis or Memcached
where simultaneous requests matter.

A cache that cannot be reached raises :class:`~resetkit.exceptions.StoreUnavailable` from every
method here (so throttles and budgets do too), whatever the cache client.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import re
from dataclasses import dataclass
from typing import Literal

from django.core.cache import BaseCache, caches
from django.utils import timezone

from resetkit.exceptions import unavailable_on_outage
from resetkit.redis_client import RedisPrimary, run_script, scripting_primary

__all__ = ["SLICES", "Hit", "WindowCounter"]

Window = Literal["fixed", "sliding"]

#: Slices of a sliding window: a client waits at most ``period / SLICES`` longer than exact.
SLICES = 60

# KEYS: the current slice, then the others read beside it; ARGV: the limit, the expiry. Counts
# one event and answers {allowed, own count, window total, the others' counts if refused}.
_HIT_SCRIPT = """
local own = redis.call('INCR', KEYS[1])
if own == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
local total = own
local counts = {}
if #KEYS > 1 then
  local found = redis.call('MGET', unpack(KEYS, 2))
  for i = 1, #KEYS - 1 do
    local n = tonumber(found[i]) or 0
    if n < 0 then n = 0 end
    counts[i] = n
    total = total + n
  end
end
if total <= tonumber(ARGV[1]) then return {1, own, total} end
redis.call('DECR', KEYS[1])
return {0, own, total, unpack(counts)}
"""

# Uncount one event of a slice that holds any.
_GIVE_BACK_SCRIPT = """
local n = tonumber(redis.call('GET', KEYS[1])) or 0
if n ~= 0 then return redis.call('DECR', KEYS[1]) end
return 0
"""

# Characters every cache backend accepts in a key (Memcached refuses spaces and control
# characters); an ident with anything else, or a very long one, is hashed.
_SAFE_IDENT = re.compile(r"[A-Za-z0-9._:/@+=-]{1,128}")


@dataclass(frozen=True)
class Hit:
    """What one increment found: whether it is within the limit, and when to come back.

    ``count`` is the number of events in the window: including this one when it is allowed,
    without it when it is refused (a refused event is not counted).
    """

    allowed: bool
    count: int
    retry_after: float
    #: The slice the event was counted in: :meth:`WindowCounter.give_back` uncounts it there,
    #: even after the clock has moved on to the next slice.
    slice: int | None = None


class WindowCounter:
    """Count events per ``ident`` in a window of ``period`` seconds, allowing ``limit`` of them.

    ``prefix`` names the limit (a throttle's scope, say); ``ident`` the thing counted (a client
    address, an account). Keys are ``<prefix>:<ident>:<slice number>`` and expire on their own
    once no window reads them any more.
    """

    def __init__(
        self,
        prefix: str,
        limit: int,
        period: float,
        *,
        window: Window = "sliding",
        cache_alias: str = "default",
        slices: int = SLICES,
    ) -> None:
        if window not in ("fixed", "sliding"):
            raise ValueError(f"window must be 'fixed' or 'sliding', not {window!r}")
        if not period > 0:
            raise ValueError(f"period must be a positive number of seconds, not {period!r}")
        if int(slices) < 1:
            raise ValueError(f"slices must be a positive whole number, not {slices!r}")
        self.prefix = prefix
        self.limit = int(limit)
        self.period = period
        self.window = window
        self.cache_alias = cache_alias
        #: Slices the window is cut into (1 for a fixed window), and the length of one.
        self.slices = 1 if window == "fixed" else int(slices)
        self.span = period / self.slices
        # Slice j is read until the window of slice j + slices ends; one slice more of margin.
        self.timeout = math.ceil(period + 2 * self.span) + 1

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.prefix!r}, {self.limit}, {self.period}, "
            f"window={self.window!r}, cache_alias={self.cache_alias!r})"
        )

    @property
    def cache(self) -> BaseCache:
        # Looked up per call, so a CACHES override (tests, reconfiguration) reaches us.
        return caches[self.cache_alias]

    def key(self, ident: str, number: int) -> str:
        """The cache key of ``ident``'s slice ``number``."""
        if not _SAFE_IDENT.fullmatch(ident):
            ident = "sha256-" + hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()
        return f"{self.prefix}:{ident}:{number}"

    def _now(self) -> float:
        return timezone.now().timestamp()

    def _position(self, now: float | None = None) -> tuple[int, float]:
        """The current slice's number and how far into it we are (0 to 1)."""
        now = self._now() if now is None else now
        number = math.floor(now / self.span)
        return number, now / self.span - number

    def _others(self, number: int) -> list[int]:
        """Numbers of the slices read beside slice ``number``: the ``slices`` before it (the
        oldest overlaps the window in part, and counts whole) and the next one (simultaneous
        requests across a slice boundary see each other). None for a fixed window."""
        if self.window == "fixed":
            return []
        return [*range(number - self.slices, number), number + 1]

    def _redis(self) -> RedisPrimary | None:
        return scripting_primary(self.cache)

    def _counts(self, ident: str, numbers: list[int]) -> dict[int, int]:
        if not numbers:
            return {}
        keys = {self.key(ident, n): n for n in numbers}
        primary = self._redis()
        if primary is not None:
            raw = primary.get_many_raw(list(keys))
            return {
                n: max(int(value), 0) for n, value in zip(keys.values(), raw, strict=True) if value
            }
        found = self.cache.get_many(list(keys))
        return {keys[key]: max(int(value or 0), 0) for key, value in found.items()}

    def _increment(self, key: str) -> int:
        """Add one to ``key`` (created at 1 if missing); atomic where ``add`` and ``incr`` are."""
        for _ in range(3):
            if self.cache.add(key, 1, self.timeout):
                return 1
            try:
                return int(self.cache.incr(key))
            except ValueError:  # expired or cleared between add() and incr(): create it again
                continue
        raise RuntimeError(f"cache {self.cache_alias!r} keeps losing counter {key!r}")

    def _guard(self) -> contextlib.AbstractContextManager[None]:
        """Turn an unreachable cache into :class:`~resetkit.exceptions.StoreUnavailable`."""
        return unavailable_on_outage(f"the cache {self.cache_alias!r}")

    def hit(self, ident: str) -> Hit:
        """Count one event for ``ident``; refused (and given back) when over the limit."""
        with self._guard():
            return self._hit(ident)

    def _hit(self, ident: str) -> Hit:
        now = self._now()
        number, _progress = self._position(now)
        primary = self._redis()
        if primary is not None:
            return self._hit_in_one_round_trip(primary, ident, now, number)
        key = self.key(ident, number)
        own = self._increment(key)
        counts = self._counts(ident, self._others(number))
        total = own + sum(counts.values())
        if total <= self.limit:
            return Hit(True, total, 0.0, number)
        self._give_back(key)
        counts[number] = own - 1
        return Hit(False, total - 1, self._retry_after(now, number, counts))

    def _hit_in_one_round_trip(
        self, primary: RedisPrimary, ident: str, now: float, number: int
    ) -> Hit:
        """:meth:`_hit` as one Lua script on the primary: the same answers in one round trip."""
        others = self._others(number)
        keys = primary.keys([self.key(ident, n) for n in (number, *others)])
        allowed, own, total, *found = run_script(
            primary, _HIT_SCRIPT, keys, [self.limit, self.timeout]
        )
        if allowed:
            return Hit(True, int(total), 0.0, number)
        counts = {n: int(count) for n, count in zip(others, found, strict=True)}
        counts[number] = int(own) - 1
        return Hit(False, int(total) - 1, self._retry_after(now, number, counts))

    def peek(self, ident: str) -> int:
        """The count in the window now, without counting anything."""
        number, _progress = self._position()
        with self._guard():
            return sum(self._counts(ident, [number, *self._others(number)]).values())

    def give_back(self, ident: str, slice_number: int | None = None) -> None:
        """Uncount one event of ``ident`` (one that, after all, should not count): in the slice
        it was counted in (``Hit.slice``), else the current one; nothing if there is none."""
        if slice_number is None:
            slice_number, _progress = self._position()
        key = self.key(ident, slice_number)
        with self._guard():
            primary = self._redis()
            if primary is not None:
                run_script(primary, _GIVE_BACK_SCRIPT, [primary.key(key)], [])
            elif self.cache.get(key):
                self._give_back(key)

    def reset(self, ident: str) -> bool:
        """Forget ``ident``'s counts (a fresh budget); ``True`` if there were any."""
        number, _progress = self._position()
        keys = [self.key(ident, n) for n in (number, *self._others(number))]
        with self._guard():
            primary = self._redis()
            if primary is not None:
                pipeline = primary.client.pipeline(transaction=False)
                pipeline.mget(primary.keys(keys))
                pipeline.delete(*primary.keys(keys))
                raw, _deleted = pipeline.execute()
                return any(int(value) for value in raw if value is not None)
            found = self.cache.get_many(keys)
            self.cache.delete_many(keys)
        return any(found.values())

    def _give_back(self, key: str) -> None:
        with contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
            self.cache.decr(key)

    def _retry_after(self, now: float, number: int, counts: dict[int, int]) -> float:
        """Seconds until one more event would be allowed, if nothing else is counted."""
        if self.limit < 1:
            return float(self.period)
        if self.window == "fixed":
            return max((number + 1) * self.span - now, 0.0)
        # In slice m, the window holds slices m - slices .. m + 1: the first m where those
        # leave room for one more. At m = number + slices + 1 only the next slice is left.
        for m in range(number + 1, number + self.slices + 3):
            held = sum(count for n, count in counts.items() if m - self.slices <= n <= m + 1)
            if held + 1 <= self.limit:
                return max(m * self.span - now, 0.0)
        return float(self.period)
