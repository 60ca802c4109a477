"""Consuming is atomic: of many simultaneous confirms with one token, exactly one wins.

Threads start together on a barrier and go through the real endpoint (or the store), each on
its own database connection, against the run's database and cache. A store that checks and
then deletes in two steps lets several threads through; these tests catch that.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from resetkit.backends import get_token_store
from tests.conftest import resetkit_overrides

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

THREADS = 16
CONFIRM_URL = reverse("password_reset:reset-password-confirm")
T = TypeVar("T")


@pytest.fixture(autouse=True)
def _no_endpoint_throttles() -> Any:
    """Every thread confirms from one address; throttling is tested elsewhere."""
    with resetkit_overrides(CONFIRM_THROTTLE_CLASSES=[], VALIDATE_THROTTLE_CLASSES=[]):
        yield


def run_together(count: int, work: Callable[[int], T]) -> list[T]:
    """Run ``work(0..count-1)`` in threads released at once; re-raise the first failure."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[n] = work(n)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,), daemon=True) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def slow_cache_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cache read takes a little while, as a network round-trip does.

    With an in-process cache a thread often runs a whole read-then-write before another
    starts, which would hide a check-then-delete race; the pause lets the threads overlap.
    """
    cache_class = type(caches["default"])
    real_get = cache_class.get

    def get(self: Any, *args: Any, **kwargs: Any) -> Any:
        value = real_get(self, *args, **kwargs)
        time.sleep(0.002)
        return value

    monkeypatch.setattr(cache_class, "get", get)


def password_of(n: int) -> str:
    return f"thread-{n:02d}-Passw0rd!x"


def test_one_token_confirmed_by_many_at_once_resets_once(
    store_kind, user, signals, slow_cache_reads
) -> None:
    key = get_token_store().create_token(user, "5a" * 16).key

    def confirm(n: int) -> int:
        response = APIClient().post(
            CONFIRM_URL, {"token": key, "password": password_of(n)}, format="json"
        )
        return int(response.status_code)

    statuses = run_together(THREADS, confirm)

    assert sorted(statuses) == [200] + [404] * (THREADS - 1)
    winner = statuses.index(200)
    assert len(signals.pre) == 1 and len(signals.post) == 1
    assert signals.pre[0]["user"].pk == user.pk
    assert signals.post[0]["reset_password_token"].key == key
    fresh = get_user_model()._default_manager.get(pk=user.pk)
    assert fresh.check_password(password_of(winner))
    assert get_token_store().get_token(key) is None


def test_different_tokens_of_one_user_confirmed_at_once(store_kind, user, signals) -> None:
    """Each confirm revokes the user's other tokens; racing ones must not deadlock or 500."""
    store = get_token_store()
    keys = [store.create_token(user, f"{n:032x}").key for n in range(THREADS)]

    def confirm(n: int) -> int:
        response = APIClient().post(
            CONFIRM_URL, {"token": keys[n], "password": password_of(n)}, format="json"
        )
        return int(response.status_code)

    statuses = run_together(THREADS, confirm)

    assert set(statuses) <= {200, 404}
    winners = [n for n, status in enumerate(statuses) if status == 200]
    # Every confirm locks the user's row first, so they queue there on every store: the first
    # reset changes the password, which voids the tokens the others hold.
    assert len(winners) == 1
    assert len(signals.pre) == len(signals.post) == len(winners)
    fresh = get_user_model()._default_manager.get(pk=user.pk)
    assert any(fresh.check_password(password_of(n)) for n in winners)
    assert all(store.get_token(key) is None for key in keys)


@pytest.mark.parametrize("in_transaction", [False, True], ids=["autocommit", "atomic"])
def test_one_token_consumed_by_many_at_once(
    store_kind, user, in_transaction, slow_cache_reads
) -> None:
    store = get_token_store()
    store.create_token(user, "c3" * 16)
    token = store.get_token("c3" * 16)

    def consume(n: int) -> bool:
        if not in_transaction:
            return store.consume_token(token)
        with transaction.atomic():
            return store.consume_token(token)

    assert sorted(run_together(THREADS, consume)) == [False] * (THREADS - 1) + [True]
    assert store.get_token("c3" * 16) is None
