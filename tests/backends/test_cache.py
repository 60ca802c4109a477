"""What only the cache store has: its alias, its key layout, its TTLs, its configuration."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse

from resetkit.backends import get_token_store
from resetkit.backends.cache import CacheTokenStore
from resetkit.digests import token_digest
from tests.backends.raw import raw_cache_entries, remaining_ttl
from tests.backends.test_contract import tokens_alias_caches
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

KEY = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"
DAY_SECONDS = 24 * 3600
# The cache computes expiry from its own clock a moment after the store read it.
SLACK = 5
TOKENS_ALIAS_STORE = {
    "CLASS": "resetkit.backends.cache.CacheTokenStore",
    "OPTIONS": {"cache_alias": "tokens"},
}


@pytest.fixture
def tokens_cache() -> Iterator[None]:
    with override_settings(CACHES=tokens_alias_caches()):
        caches["tokens"].clear()
        yield
        caches["tokens"].clear()


def token_keys(alias: str = "default") -> list[str]:
    return [key for key in raw_cache_entries(alias) if ":t:" in key]


def test_the_key_holds_the_digest_never_the_token(user) -> None:
    CacheTokenStore().create_token(user, KEY)
    # The HMAC's first 128 bits, URL-safe base64 without padding.
    short = base64.urlsafe_b64encode(bytes.fromhex(token_digest(KEY))[:16]).rstrip(b"=")
    assert token_keys() == [f"resetkit:t:{short.decode()}"]
    assert not any(KEY in key for key in raw_cache_entries())


def test_key_prefix_option(user) -> None:
    token = CacheTokenStore(key_prefix="pw").create_token(user, KEY)
    assert token_keys() == [f"pw:t:{token.digest}"]
    assert CacheTokenStore().get_token(KEY) is None
    assert CacheTokenStore(key_prefix="pw").get_token(KEY) is not None


@pytest.mark.parametrize(("hours", "seconds"), [(24, DAY_SECONDS), (2, 7200), (0.5, 1800)])
def test_entry_expires_with_the_token(user, hours, seconds) -> None:
    """The cache drops a token by itself when it expires: no cleanup job for this store."""
    with resetkit_overrides(
        TOKEN_EXPIRY_HOURS=hours, TOKEN_STORE="resetkit.backends.cache.CacheTokenStore"
    ):
        store = get_token_store()
    assert isinstance(store, CacheTokenStore)
    token = store.create_token(user, KEY)
    ttl = remaining_ttl(store.token_cache_key(token.digest))
    assert ttl is not None and seconds - SLACK <= ttl <= seconds


def test_revocation_stamp_outlives_the_users_tokens(user) -> None:
    """A stamp that expired before its tokens would void them early."""
    store = CacheTokenStore()
    token = store.create_token(user, KEY)
    token_ttl = remaining_ttl(store.token_cache_key(token.digest))
    stamp_ttl = remaining_ttl(store.user_cache_key(user.pk))
    assert token_ttl is not None and stamp_ttl is not None
    assert stamp_ttl >= token_ttl - SLACK


def test_revoking_one_user_leaves_other_users_entries_alone(user, make_user) -> None:
    store = CacheTokenStore()
    other = make_user()
    store.create_token(user, KEY)
    kept = store.create_token(other, "ab" * 16)
    before = raw_cache_entries()[store.token_cache_key(kept.digest)]
    store.revoke_user_tokens(user)
    assert store.get_token(KEY) is None
    assert raw_cache_entries()[store.token_cache_key(kept.digest)] == before
    assert store.get_token("ab" * 16) is not None


def test_cache_alias_option_puts_tokens_in_that_cache(user, tokens_cache) -> None:
    store = CacheTokenStore(cache_alias="tokens")
    token = store.create_token(user, KEY)
    assert token_keys("tokens") == [store.token_cache_key(token.digest)]
    assert token_keys("default") == []
    assert CacheTokenStore().get_token(KEY) is None
    assert store.get_token(KEY) is not None


def test_the_cache_is_looked_up_on_every_call(user) -> None:
    """A store built before ``CACHES`` changes still reaches the new cache."""
    store = CacheTokenStore(cache_alias="tokens")
    with override_settings(CACHES=tokens_alias_caches()):
        caches["tokens"].clear()
        token = store.create_token(user, KEY)
        assert token_keys("tokens") == [store.token_cache_key(token.digest)]
        assert store.get_token(KEY) is not None
        caches["tokens"].clear()


def test_token_store_setting_with_options(user, tokens_cache, api_client, signals) -> None:
    config = TOKENS_ALIAS_STORE
    with resetkit_overrides(TOKEN_STORE=config):
        store = get_token_store()
        assert isinstance(store, CacheTokenStore) and store.cache_alias == "tokens"

        response = api_client.post(
            reverse("password_reset:reset-password-request"),
            {"email": "alice@example.com"},
            format="json",
        )
        assert response.status_code == 200
        (key,) = signals.keys
        assert token_keys("tokens") == [store.token_cache_key(store.make_digest(key))]
        assert token_keys("default") == []
        response = api_client.post(
            reverse("password_reset:reset-password-confirm"),
            {"token": key, "password": "a-new-Passw0rd-for-tests"},
            format="json",
        )
        assert response.status_code == 200
    assert token_keys("tokens") == []


def test_options_in_the_setting_can_be_overridden_per_call(tokens_cache) -> None:
    config = TOKENS_ALIAS_STORE
    with resetkit_overrides(TOKEN_STORE=config):
        store = get_token_store(cache_alias="default")
    assert isinstance(store, CacheTokenStore) and store.cache_alias == "default"


@pytest.mark.parametrize(
    "build",
    [
        lambda: CacheTokenStore(cache_alais="tokens"),
        lambda: _from_setting({"cache_alais": "tokens"}),
    ],
    ids=["constructor", "setting"],
)
def test_unknown_option_is_named(build: Any) -> None:
    with pytest.raises(ImproperlyConfigured, match="cache_alais"):
        build()


def _from_setting(options: dict[str, Any]) -> Any:
    config = {"CLASS": "resetkit.backends.cache.CacheTokenStore", "OPTIONS": options}
    with resetkit_overrides(TOKEN_STORE=config):
        return get_token_store()


# Chrome 131 on Windows, as browsers send it today (111 characters).
BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


def test_a_token_with_a_browser_user_agent_stays_small(user, settings) -> None:
    """An outstanding token costs at most 300 bytes of Redis memory (issue: performance).

    The stored value and key are checked on every cache; on Redis, ``MEMORY USAGE`` too (the
    key, its value and Redis's own records; a value of up to 188 bytes fits the allocator's
    192-byte class).
    """
    store = CacheTokenStore()
    token = store.create_token(user, KEY, ip_address="203.0.113.7", user_agent=BROWSER_UA)
    key = store.token_cache_key(token.digest)
    # A UUID primary key is kept as its 16 bytes: the next allocator class, 32 bytes more.
    uuid_pk = isinstance(user.pk, uuid.UUID)
    raw = raw_cache_entries()[key]
    assert len(raw) <= (188 + 16 if uuid_pk else 188)
    assert len(caches["default"].make_key(key)) <= 60
    if settings.CACHE_KIND == "redis":
        import redis

        client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
        usage = client.memory_usage(caches["default"].make_key(key), samples=0)
        assert usage <= (300 + 32 if uuid_pk else 300)
    found = store.get_token(KEY)
    assert found is not None
    assert (found.ip_address, found.user_agent) == ("203.0.113.7", BROWSER_UA)


@pytest.mark.parametrize(
    "address", ["203.0.113.7", "2001:db8::1", "2001:DB8::1", "::ffff:192.0.2.1", "fe80::1"]
)
def test_addresses_come_back_as_they_were_given(user, address) -> None:
    """Addresses are packed to bytes only where that round-trips to the very same text."""
    store = CacheTokenStore()
    store.create_token(user, KEY, ip_address=address)
    found = store.get_token(KEY)
    assert found is not None and found.ip_address == address
