"""Consuming is atomic: of many simultaneous confirms with one token, exactly one wins.

Threads start together on a barrier and go through the real endpoint (or the store), each on
its own database connection, against the run's database and cache. A store that checks and
then deletes in two steps lets several threads through; these tests catch that. Every SQL
statement and cache read takes a little longer here, as a round trip to a server does, so that
such a two-step window is open long enough for the threads to meet in it.

Where the threads go through a database transaction they can only race on PostgreSQL and
MariaDB: SQLite, in the suite's ``transaction_mode: IMMEDIATE``, takes its one write lock at
``BEGIN``, so they run one at a time there and nothing could fail. Those tests skip on SQLite,
saying so in the summary; ``make test-services`` (and CI) runs them. The confirm endpoint also
queues every confirm of one user on the user's row lock, which would hide a store that consumes
in two steps: the store-level tests call the store directly, with no such lock.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.urls import reverse
from rest_framework.test import APIClient

from resetkit.backends import get_token_store
from tests.concurrency import run_together
from tests.conftest import resetkit_overrides

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

THREADS = 16
CONFIRM_URL = reverse("password_reset:reset-password-confirm")

SERIALISED_ON_SQLITE = (
    "cannot race on SQLite: with transaction_mode IMMEDIATE every transaction takes the "
    "database's write lock at BEGIN, so the threads run one at a time; runs on PostgreSQL and "
    "MariaDB (make test-services)"
)


def skip_where_serialised(*, through_a_transaction: bool) -> None:
    """Skip, visibly, a test whose threads meet inside database transactions on SQLite."""
    if through_a_transaction and connection.vendor == "sqlite":
        pytest.skip(SERIALISED_ON_SQLITE)


@pytest.fixture(autouse=True)
def _no_endpoint_throttles() -> Any:
    """Every thread confirms from one address; throttling is tested elsewhere."""
    with resetkit_overrides(CONFIRM_THROTTLE_CLASSES=[], VALIDATE_THROTTLE_CLASSES=[]):
        yield


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


@pytest.fixture
def slow_queries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every SQL statement, on every thread's connection, takes 2 ms longer to come back.

    A statement to a local server answers in well under a millisecond; a consume that reads
    the row and then deletes it could then finish before another thread has read it.
    """
    real_execute = CursorWrapper.execute

    def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = real_execute(self, *args, **kwargs)
        time.sleep(0.002)
        return result

    monkeypatch.setattr(CursorWrapper, "execute", execute)


def password_of(n: int) -> str:
    return f"thread-{n:02d}-Passw0rd!x"


def test_one_token_confirmed_by_many_at_once_resets_once(
    store_kind, user, signals, slow_cache_reads, slow_queries
) -> None:
    skip_where_serialised(through_a_transaction=True)  # each confirm is one transaction
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
    skip_where_serialised(through_a_transaction=True)
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
    store_kind, user, in_transaction, slow_cache_reads, slow_queries
) -> None:
    """``consume_token`` from many threads, no user lock anywhere: one ``True``.

    The ORM store consumes inside a transaction of its own; the cache store touches no
    database, so in autocommit its threads race through the cache on every database.
    """
    skip_where_serialised(through_a_transaction=in_transaction or store_kind == "orm")
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


@pytest.mark.parametrize("in_transaction", [False, True], ids=["autocommit", "atomic"])
def test_one_token_consumed_and_revoked_by_many_at_once(
    store_kind, user, in_transaction, slow_cache_reads, slow_queries
) -> None:
    """``consume_and_revoke``, what a reset calls, from many threads and without the confirm
    step's lock on the user's row: exactly one wins, and the user's other token goes too."""
    skip_where_serialised(through_a_transaction=in_transaction or store_kind == "orm")
    store = get_token_store()
    store.create_token(user, "d4" * 16)
    store.create_token(user, "e5" * 16)
    token = store.get_token("d4" * 16)

    def consume(n: int) -> bool:
        if not in_transaction:
            return store.consume_and_revoke(token)
        won = False
        try:
            with transaction.atomic():
                won = store.consume_and_revoke(token)
                if not won:
                    raise _Lost  # leave the block, as the confirm step does
        except _Lost:
            pass
        return won

    assert sorted(run_together(THREADS, consume)) == [False] * (THREADS - 1) + [True]
    assert store.get_token("d4" * 16) is None
    assert store.get_token("e5" * 16) is None


class _Lost(Exception):
    """This thread's consume lost: roll its block back."""
