"""Limits hold when requests arrive together.

DRF's ``SimpleRateThrottle`` reads a history list and writes it back; 32 simultaneous requests
against a 3/day throttle got 5 to 23 answers through, and the per-account budget gave 4 or 5
tokens where it allows 3. Here 64 threads start together (a ``threading.Barrier``) against one
throttle or one budget, and exactly the limit gets through: against the suite's cache
(``LocMemCache``; Redis with ``RESETKIT_TEST_CACHE=redis``), and through HTTP on a live,
threaded server.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any, TypeVar
from unittest import mock

import pytest
from django.http import HttpRequest
from django.test import override_settings

from resetkit.budgets import AccountTokenBudget
from resetkit.counters import WindowCounter
from resetkit.throttling import (
    ResetPasswordRequestTokenThrottle,
    ResetPasswordValidateTokenThrottle,
    instantiate_throttles,
)
from tests.conftest import resetkit_overrides

T = TypeVar("T")
THREADS = 64

# A fixed "now" in the middle of every window, so no run straddles a window's start.
FROZEN = dt.datetime(2030, 1, 1, 12, 30, 30, tzinfo=dt.timezone.utc)


@pytest.fixture
def frozen(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr("django.utils.timezone.now", lambda: FROZEN)
    yield


def together(task: Callable[[], T], threads: int = THREADS) -> list[T]:
    """Run ``task`` in ``threads`` threads released at the same moment."""
    barrier = threading.Barrier(threads)

    def run() -> T:
        barrier.wait(timeout=30)
        return task()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [pool.submit(run) for _ in range(threads)]
        return [future.result(timeout=60) for future in futures]


@pytest.mark.parametrize("window", ["sliding", "fixed"])
@pytest.mark.parametrize("limit", [1, 3, 30])
def test_a_counter_allows_exactly_its_limit(frozen: None, window: Any, limit: int) -> None:
    counter = WindowCounter("concurrency", limit, 3600, window=window)
    results = together(lambda: counter.hit("one-client").allowed)
    assert results.count(True) == limit
    assert counter.peek("one-client") == limit  # every refused increment was given back


@pytest.mark.parametrize("window", ["sliding", "fixed"])
def test_a_throttle_allows_exactly_its_rate(frozen: None, window: Any) -> None:
    class Throttle(ResetPasswordRequestTokenThrottle):
        pass

    Throttle.window = window
    request = HttpRequest()
    request.META["REMOTE_ADDR"] = "2001:db8::1"

    def ask() -> tuple[bool, float | None]:
        (throttle,) = instantiate_throttles([Throttle])
        allowed = throttle.allow_request(request, None)
        return allowed, throttle.wait()

    with override_settings(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {}}):
        results = together(ask)
    assert [allowed for allowed, _wait in results].count(True) == 3
    assert all(wait and wait > 0 for allowed, wait in results if not allowed)


def test_one_network_of_many_addresses_allows_exactly_the_rate(frozen: None) -> None:
    """64 addresses of one /64 at once: one budget."""
    addresses = iter(range(THREADS))
    lock = threading.Lock()

    def ask() -> bool:
        with lock:
            n = next(addresses)
        request = HttpRequest()
        request.META["REMOTE_ADDR"] = f"2001:db8:0:7::{n + 1:x}"
        (throttle,) = instantiate_throttles([ResetPasswordValidateTokenThrottle])
        return throttle.allow_request(request, None)

    with override_settings(REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {}}):
        assert together(ask).count(True) == 30


@pytest.mark.parametrize("rate", ["1/hour", "3/hour", "5/day"])
def test_an_account_budget_gives_exactly_its_rate(frozen: None, rate: str) -> None:
    user = SimpleNamespace(pk=42)
    budget = AccountTokenBudget(rate)
    results = together(lambda: budget.consume(user))
    assert results.count(True) == int(rate.split("/")[0])
    assert AccountTokenBudget(rate).consume(SimpleNamespace(pk=43)) is True


# -- through HTTP: a live, threaded server ------------------------------------------------------


@pytest.fixture
def live_url(request: pytest.FixtureRequest, transactional_db: None) -> str:
    """pytest-django's ``live_server`` (threaded), started (once a session) with a listen
    backlog for every simultaneous connection (Django's is 10; the kernel resets the rest), and
    a ``STATIC_URL``, which its static-files wrapper parses and the suite's settings lack."""
    from django.core.servers.basehttp import WSGIServer

    with (
        override_settings(STATIC_URL="/static/"),
        mock.patch.object(WSGIServer, "request_queue_size", 128),
    ):
        server = request.getfixturevalue("live_server")
    return str(server.url)


def post(url: str, body: dict[str, str]) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_simultaneous_requests_get_at_most_three_through(live_url: str) -> None:
    """32 simultaneous POSTs to the request endpoint from one address: three get through."""
    url = f"{live_url}/api/password_reset/"
    with resetkit_overrides(THROTTLE_CLASSES=None):
        codes = together(lambda: post(url, {"email": "nobody@example.com"}), threads=32)
    assert sorted(set(codes)) == [200, 429]
    assert len(codes) - codes.count(429) == 3


def test_simultaneous_validations_get_at_most_the_rate(live_url: str) -> None:
    url = f"{live_url}/api/password_reset/validate_token/"
    rates = {"django-rest-passwordreset-validate-token": "5/hour"}
    with override_settings(
        REST_FRAMEWORK={"DEFAULT_THROTTLE_CLASSES": [], "DEFAULT_THROTTLE_RATES": rates}
    ):
        codes = together(lambda: post(url, {"token": "not-a-token"}), threads=32)
    assert sorted(set(codes)) == [404, 429]
    assert len(codes) - codes.count(429) == 5


def test_simultaneous_requests_for_one_account_issue_at_most_the_budget(
    live_url: str, make_user: Any, signals: Any
) -> None:
    """32 clients at once (the throttle off) asking for one account: three tokens."""
    make_user(email="carol@example.com")
    url = f"{live_url}/api/password_reset/"
    codes = together(lambda: post(url, {"email": "carol@example.com"}), threads=32)
    assert set(codes) == {200}
    assert len(signals.created) == 3
