"""The cache store's own expiry check, with the cache's TTL nowhere near.

Moving the clock with ``time_machine`` moves ``time.time()`` too, and LocMemCache expires its
entries by that clock: off Redis, an "expired token is refused" test would pass with the store's
own check removed, the cache having dropped the entry first. Here only the store's notion of
now moves: ``django.utils.timezone.now`` (where, by contract, a store takes its time), or a
store whose lifetime is shorter than the TTL the entry was written with. Each test first
checks that the entry is still in the cache with time left on its TTL, so what refuses the
token can only be the store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from resetkit.backends.cache import CacheTokenStore
from tests.backends.raw import raw_cache_entries, remaining_ttl
from tests.conftest import STORES, resetkit_overrides

pytestmark = pytest.mark.django_db

KEY = "6b5a49382716f5e4d3c2b1a09f8e7d6c"
DAY = dt.timedelta(hours=24)
MINUTE = dt.timedelta(minutes=1)


@pytest.fixture
def store_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[dt.timedelta], None]]:
    """``shift(delta)`` moves ``timezone.now()`` only; ``time.time()`` (the cache's clock) and
    the Redis server's clock stay where they are."""
    real_now = timezone.now
    offset = [dt.timedelta(0)]

    def now() -> dt.datetime:
        return real_now() + offset[0]

    def shift(delta: dt.timedelta) -> None:
        offset[0] += delta

    monkeypatch.setattr(timezone, "now", now)
    yield shift


def entry_key(store: CacheTokenStore, token: Any) -> str:
    return store.token_cache_key(token.digest)


def assert_still_cached(key: str) -> None:
    """The cache has not dropped the entry: whatever refuses it now is the store."""
    assert key in raw_cache_entries()
    ttl = remaining_ttl(key)
    assert ttl is not None and ttl > 3600, ttl


def test_a_token_past_its_lifetime_is_refused_and_deleted_by_the_store(user, store_clock):
    store = CacheTokenStore()
    token = store.create_token(user, KEY)
    store_clock(DAY - MINUTE)
    assert store.get_token(KEY) is not None  # not yet
    store_clock(2 * MINUTE)
    assert_still_cached(entry_key(store, token))
    assert store.get_token(KEY) is None
    # Deleted when presented, not merely refused: going back does not bring it back.
    assert entry_key(store, token) not in raw_cache_entries()
    store_clock(-DAY)
    assert store.get_token(KEY) is None


def test_a_short_code_past_its_lifetime_is_refused(user, store_clock):
    """The lookup of a code against the account it is presented with checks expiry too."""
    store = CacheTokenStore()
    token = store.create_token(user, "482913")
    store_clock(DAY + MINUTE)
    assert_still_cached(entry_key(store, token))
    assert store.get_token_for_users("482913", [user]) is None


def test_a_token_expired_under_a_shorter_lifetime_is_refused(user, clock):
    """The entry was written with a 30-day TTL; a store of a 1-hour lifetime reads it two hours
    later (``time_machine`` moves every clock here, but the TTL is far away)."""
    long_lived = CacheTokenStore(lifetime=dt.timedelta(days=30))
    token = long_lived.create_token(user, KEY)
    clock.shift(dt.timedelta(hours=2))
    assert_still_cached(entry_key(long_lived, token))
    assert CacheTokenStore(lifetime=dt.timedelta(hours=1)).get_token(KEY) is None
    assert entry_key(long_lived, token) not in raw_cache_entries()


def test_an_expired_key_in_the_way_of_a_new_token_is_replaced(user, make_user, store_clock):
    """Issuing checks the liveness of an entry already under the key: an expired one is
    removed and the key issued again; a live one would be a ``DuplicateTokenError``."""
    store = CacheTokenStore()
    old = store.create_token(user, "482913")
    store_clock(DAY + MINUTE)
    assert_still_cached(entry_key(store, old))
    bob = make_user(email="bob@example.com")
    assert store.create_token(bob, "482913").user == bob
    found = store.get_token("482913")
    assert found is not None and found.user.pk == bob.pk


@pytest.mark.parametrize(
    ("url", "body"),
    [
        (reverse("password_reset:reset-password-validate"), {"token": KEY}),
        (
            reverse("password_reset:reset-password-confirm"),
            {"token": KEY, "password": "a-new-Passw0rd-for-tests"},
        ),
    ],
    ids=["validate", "confirm"],
)
def test_the_endpoints_refuse_a_token_the_store_finds_expired(user, store_clock, url, body):
    with resetkit_overrides(
        TOKEN_STORE=STORES["cache"], VALIDATE_THROTTLE_CLASSES=[], CONFIRM_THROTTLE_CLASSES=[]
    ):
        store = CacheTokenStore()
        token = store.create_token(user, KEY)
        store_clock(DAY + MINUTE)
        assert_still_cached(entry_key(store, token))
        response = APIClient().post(url, body, format="json")
    assert response.status_code == 404
    user.refresh_from_db()
    assert user.check_password("old-Passw0rd!")
