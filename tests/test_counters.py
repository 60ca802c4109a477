"""``resetkit.counters.WindowCounter``: atomic windows, Retry-After, give-back, moved time.

Run against the suite's default cache: ``LocMemCache``, or Redis with
``RESETKIT_TEST_CACHE=redis``. Time is moved by patching ``django.utils.timezone.now``, which is
all the counter reads (on Redis the keys keep their real TTL; the windows do not depend on it).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches

from resetkit.counters import SLICES, WindowCounter

START = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc).timestamp()


class Clock:
    """``timezone.now()`` under the test's control, in seconds since ``START``."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(START + self.offset, tz=dt.timezone.utc)

    def at(self, seconds: float) -> None:
        self.offset = seconds

    def shift(self, seconds: float) -> None:
        self.offset += seconds


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock()
    monkeypatch.setattr("django.utils.timezone.now", clock)
    yield clock


def counter(limit: int = 3, period: int = 3600, window: Any = "sliding") -> WindowCounter:
    return WindowCounter("test-counter", limit, period, window=window)


def hits(c: WindowCounter, times: int, ident: str = "client") -> list[bool]:
    return [c.hit(ident).allowed for _ in range(times)]


# -- fixed ---------------------------------------------------------------------------------------


def test_fixed_window_allows_the_limit_per_clock_period(now: Clock) -> None:
    c = counter(window="fixed")
    now.at(600)
    assert hits(c, 5) == [True, True, True, False, False]
    refused = c.hit("client")
    assert refused.count == 3
    assert refused.retry_after == pytest.approx(3000)
    now.at(3599)
    assert hits(c, 1) == [False]
    now.at(3600)  # the top of the hour: a new window
    assert hits(c, 4) == [True, True, True, False]


def test_fixed_window_counts_are_per_ident(now: Clock) -> None:
    c = counter(limit=1, window="fixed")
    assert hits(c, 2, "a") == [True, False]
    assert hits(c, 2, "b") == [True, False]
    assert c.peek("a") == 1
    assert c.peek("nobody") == 0


# -- sliding -------------------------------------------------------------------------------------


def test_sliding_window_has_no_boundary_burst(now: Clock) -> None:
    """Spent at the end of one hour, the budget does not come back at the top of the next."""
    c = counter()
    now.at(3590)
    assert hits(c, 3) == [True, True, True]
    now.at(3610)
    assert hits(c, 1) == [False]
    now.at(3590 + 3600 - 60)
    assert hits(c, 1) == [False]


def test_sliding_window_frees_after_the_period_and_one_slice(now: Clock) -> None:
    c = counter()
    span = 3600 / SLICES
    now.at(100)  # in slice 1 (60 s each), which ends at 120
    assert hits(c, 4) == [True, True, True, False]
    refused = c.hit("client")
    # Slice 1 leaves the window when slice 62 starts: 120 + 3600.
    assert refused.retry_after == pytest.approx(120 + 3600 - 100)
    assert 3600 <= refused.retry_after <= 3600 + span
    now.at(100 + refused.retry_after - 0.001)
    assert hits(c, 1) == [False]
    now.at(100 + refused.retry_after)
    assert hits(c, 4) == [True, True, True, False]


def test_sliding_window_frees_slice_by_slice(now: Clock) -> None:
    c = counter()
    now.at(0)
    assert hits(c, 1) == [True]
    now.at(1800)
    assert hits(c, 2) == [True, True]
    refused = c.hit("client")
    assert not refused.allowed
    # The first event's slice leaves the window first: one more is allowed then.
    assert refused.retry_after == pytest.approx(3660 - 1800)
    now.at(3660)
    assert hits(c, 2) == [True, False]


def test_sliding_never_allows_more_than_the_limit_in_any_period(now: Clock) -> None:
    """Random traffic over several periods: every period-long interval holds at most the limit
    of allowed events (the property the fixed window lacks)."""
    rng = random.Random(13)
    c = counter(limit=5, period=600)
    allowed: list[float] = []
    t = 0.0
    while t < 600 * 6:
        t += rng.expovariate(1 / 20)
        now.at(t)
        hit = c.hit("client")
        if hit.allowed:
            allowed.append(t)
    assert len(allowed) > 5 * 4  # the budget did come back, period after period
    for i, at in enumerate(allowed):
        assert sum(1 for other in allowed[: i + 1] if other > at - 600) <= 5


def test_retry_after_is_when_one_more_is_allowed(now: Clock) -> None:
    rng = random.Random(7)
    c = counter(limit=4, period=600)
    for _ in range(200):
        now.shift(rng.expovariate(1 / 10))
        hit = c.hit("client")
        if not hit.allowed:
            start = now.offset
            now.at(start + hit.retry_after - 0.01)
            assert not c.hit("client").allowed
            now.at(start + hit.retry_after + 0.001)
            assert c.hit("client").allowed


# -- give-back, peek, reset ----------------------------------------------------------------------


@pytest.mark.parametrize("window", ["fixed", "sliding"])
def test_refused_hits_are_given_back(now: Clock, window: Any) -> None:
    c = counter(window=window)
    hits(c, 50)
    assert c.peek("client") == 3
    number, _progress = c._position()
    assert caches["default"].get(c.key("client", number)) == 3


@pytest.mark.parametrize("window", ["fixed", "sliding"])
def test_give_back_uncounts_one_event(now: Clock, window: Any) -> None:
    c = counter(window=window)
    hits(c, 3)
    c.give_back("client")
    assert c.peek("client") == 2
    assert hits(c, 2) == [True, False]
    c.give_back("nobody")  # nothing to give back: no error, no negative count
    assert c.peek("nobody") == 0
    assert hits(c, 1, "nobody") == [True]


def test_give_back_reaches_the_slice_the_event_was_counted_in(now: Clock) -> None:
    """An event counted just before a slice boundary and given back just after it is
    uncounted where it was counted: a right code must not cost an attempt because the clock
    ticked into the next slice in between."""
    c = counter(limit=2, period=3600)
    slice_seconds = 3600 / SLICES
    now.at(slice_seconds - 0.001)
    hit = c.hit("client")
    now.at(slice_seconds + 0.001)
    c.give_back("client", hit.slice)
    assert c.peek("client") == 0
    assert hits(c, 3) == [True, True, False]


@pytest.mark.parametrize("window", ["fixed", "sliding"])
def test_reset_gives_a_fresh_budget(now: Clock, window: Any) -> None:
    c = counter(window=window)
    now.at(3590)
    hits(c, 2)
    now.at(3610)
    hits(c, 1)
    assert c.reset("client") is True
    assert c.reset("client") is False
    assert c.peek("client") == 0
    assert hits(c, 4) == [True, True, True, False]


def test_a_lost_key_is_created_again(now: Clock) -> None:
    c = counter()
    hits(c, 2)
    caches["default"].clear()
    assert hits(c, 4) == [True, True, True, False]


def test_limit_zero_refuses_everything(now: Clock) -> None:
    c = counter(limit=0)
    hit = c.hit("client")
    assert (hit.allowed, hit.count, hit.retry_after) == (False, 0, 3600)


def test_idents_any_backend_accepts(now: Clock) -> None:
    c = counter(limit=1)
    odd = "client with spaces\n and a very long tail " + "x" * 300
    key = c.key(odd, 1)
    assert " " not in key and len(key) < 120
    assert c.key("2001:db8::/64", 1) == "test-counter:2001:db8::/64:1"
    assert hits(c, 2, odd) == [True, False]
    assert hits(c, 1, odd + "!") == [True]


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"window": "rolling"}, "window"),
        ({"period": 0}, "period"),
        ({"slices": 0}, "slices"),
    ],
)
def test_bad_arguments(kwargs: dict[str, Any], error: str) -> None:
    arguments: dict[str, Any] = {"prefix": "p", "limit": 1, "period": 60, **kwargs}
    with pytest.raises(ValueError, match=error):
        WindowCounter(**arguments)


def test_time_machine_moves_the_windows_too(clock: Any) -> None:
    """Projects' tests move time with time_machine; the windows follow."""
    c = counter(limit=1, period=60)
    assert hits(c, 2) == [True, False]
    clock.shift(dt.timedelta(seconds=62))
    assert hits(c, 2) == [True, False]
