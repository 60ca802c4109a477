"""The token-store contract, run against every store (STYLE.md item 14).

``TokenStoreContract`` holds the tests; each store gets a short ``Test*`` class that says how to
build it and how to look inside it. Facts about storage ("the expired token is gone") are
checked in the raw table or cache, not through the store's own API.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import override_settings
from django.utils import timezone

from resetkit.backends import build_token_store
from resetkit.backends.base import BaseTokenStore, DuplicateTokenError
from resetkit.backends.cache import CacheTokenStore, compact_digest
from resetkit.backends.orm import ORMTokenStore
from resetkit.digests import token_digest
from tests.backends.raw import raw_cache_entries, raw_row_digests
from tests.conftest import resetkit_overrides

KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
OTHER_KEY = "1234567890abcdef1234567890abcdef"
DAY = timedelta(hours=24)
MINUTE = timedelta(minutes=1)


class TokenStoreContract:
    """What every store promises; mix into a class that defines the two hooks below."""

    #: Whether ``clear_expired()`` deletes by itself (ORM) or leaves it to the cache's TTL.
    clears_expired_itself = True

    def make_store(self, **options: Any) -> BaseTokenStore:
        """Build the store under test with ``options`` (its policy: ``lifetime``...)."""
        raise NotImplementedError

    def make_configured_store(self) -> BaseTokenStore:
        """The same store as the factory builds it: policy from the settings, read now."""
        store = self.make_store()
        return build_token_store(type(store), self.options_of(store), "the contract suite")

    def options_of(self, store: BaseTokenStore) -> dict[str, Any]:
        return {}

    def stored_digests(self) -> set[str]:
        """Digests physically present in the store, read around its API."""
        raise NotImplementedError

    def digest_under(self, key: str, secret: str) -> str:
        """The digest this store keeps for ``key`` under ``secret``: the HMAC, as hex."""
        return token_digest(key, secret)

    @pytest.fixture
    def store(self, db: Any) -> BaseTokenStore:
        return self.make_store()

    @pytest.fixture
    def bob(self, make_user: Callable[..., Any]) -> Any:
        return make_user(email="bob@example.com", username="bob")

    # -- issuing and reading ---------------------------------------------------------------

    def test_create_returns_the_token_and_its_details(self, store, user) -> None:
        before = timezone.now()
        token = store.create_token(user, KEY, ip_address="192.0.2.10", user_agent="UA/1.0")
        assert token.key == KEY
        assert token.user == user
        assert before <= token.created_at <= timezone.now()
        assert token.expires_at == token.created_at + DAY
        assert token.ip_address == "192.0.2.10"
        assert token.user_agent == "UA/1.0"
        assert token.digest == self.digest_under(KEY, django_settings.SECRET_KEY)
        assert self.stored_digests() == {token.digest}

    def test_get_token_returns_the_live_token_with_its_user_loaded(
        self, store, user, django_assert_num_queries
    ) -> None:
        created = store.create_token(user, KEY, ip_address="2001:db8::1", user_agent="UA/2")
        found = store.get_token(KEY)
        assert found is not None
        with django_assert_num_queries(0):
            assert found.user.pk == user.pk
            assert found.user.get_username() == "alice"
        assert found.key == KEY
        assert found.digest == created.digest
        assert abs(found.created_at - created.created_at) < timedelta(milliseconds=1)
        assert abs(found.expires_at - created.expires_at) < timedelta(milliseconds=1)
        assert found.ip_address == "2001:db8::1"
        assert found.user_agent == "UA/2"

    def test_unknown_key_is_none(self, store, user) -> None:
        store.create_token(user, KEY)
        assert store.get_token(OTHER_KEY) is None
        assert store.get_token("") is None

    def test_missing_ip_address_is_stored_as_none(self, store, user) -> None:
        token = store.create_token(user, KEY, ip_address=None)
        assert token.ip_address is None and token.user_agent == ""
        found = store.get_token(KEY)
        assert found is not None
        assert found.ip_address is None and found.user_agent == ""

    def test_user_agent_is_cut_to_512_characters(self, store, user) -> None:
        token = store.create_token(user, KEY, user_agent="M" * 600 + "tail")
        assert token.user_agent == "M" * 512
        found = store.get_token(KEY)
        assert found is not None
        assert found.user_agent == "M" * 512

    def test_several_tokens_of_one_user_coexist(self, store, user) -> None:
        keys = [f"{n:032x}" for n in range(1, 4)]
        for key in keys:
            store.create_token(user, key)
        found = [store.get_token(key) for key in keys]
        assert all(token is not None and token.user == user for token in found)
        assert store.consume_token(found[0]) is True
        assert store.get_token(keys[1]) is not None
        assert store.get_token(keys[2]) is not None

    def test_token_of_a_deleted_user_is_none(self, store, user) -> None:
        store.create_token(user, KEY)
        user.delete()
        assert store.get_token(KEY) is None

    # -- expiry ------------------------------------------------------------------------------

    def test_token_lives_for_the_default_24_hours(self, store, user, clock) -> None:
        token = store.create_token(user, KEY)
        clock.shift(DAY - MINUTE)
        assert store.get_token(KEY) is not None
        clock.shift(2 * MINUTE)
        assert store.get_token(KEY) is None
        assert token.digest not in self.stored_digests()
        # Deleted, not merely rejected: going back in time does not bring it back.
        clock.shift(-DAY)
        assert store.get_token(KEY) is None

    def test_lifetime_is_the_one_given_at_construction(self, user, clock) -> None:
        """A store reads no settings: its lifetime is what it was built with."""
        store = self.make_store(lifetime=timedelta(hours=1))
        with resetkit_overrides(TOKEN_EXPIRY_HOURS=48):
            token = store.create_token(user, KEY)
        assert token.expires_at == token.created_at + timedelta(hours=1)
        clock.shift(timedelta(minutes=59))
        assert store.get_token(KEY) is not None
        clock.shift(2 * MINUTE)
        assert store.get_token(KEY) is None
        assert token.digest not in self.stored_digests()

    def test_lifetime_from_the_resetkit_setting(self, db, user, clock) -> None:
        with resetkit_overrides(TOKEN_EXPIRY_HOURS=1):
            store = self.make_configured_store()
            token = store.create_token(user, KEY)
            assert token.expires_at == token.created_at + timedelta(hours=1)
            clock.shift(timedelta(minutes=59))
            assert store.get_token(KEY) is not None
            clock.shift(2 * MINUTE)
            assert store.get_token(KEY) is None
        assert token.digest not in self.stored_digests()

    def test_lifetime_from_the_upstream_flat_setting(self, db, user, clock, settings) -> None:
        settings.DJANGO_REST_MULTITOKENAUTH_RESET_TOKEN_EXPIRY_TIME = 2
        store = self.make_configured_store()
        token = store.create_token(user, KEY)
        assert token.expires_at == token.created_at + timedelta(hours=2)
        clock.shift(timedelta(hours=2) - MINUTE)
        assert store.get_token(KEY) is not None
        clock.shift(2 * MINUTE)
        assert store.get_token(KEY) is None
        assert token.digest not in self.stored_digests()

    def test_shorter_lifetime_applies_to_outstanding_tokens(self, store, user, clock) -> None:
        """Expiry is checked on read, not only by a TTL fixed when the token was stored."""
        token = store.create_token(user, KEY)
        clock.shift(timedelta(minutes=90))
        with resetkit_overrides(TOKEN_EXPIRY_HOURS=1):
            assert self.make_configured_store().get_token(KEY) is None
        assert token.digest not in self.stored_digests()

    # -- consuming and revoking -------------------------------------------------------------

    def test_consume_succeeds_once(self, store, user) -> None:
        created = store.create_token(user, KEY)
        found = store.get_token(KEY)
        assert store.consume_token(found) is True
        assert store.consume_token(found) is False
        assert store.consume_token(created) is False
        assert store.get_token(KEY) is None
        assert self.stored_digests() == set()

    def test_the_token_create_returns_can_be_consumed(self, store, user) -> None:
        token = store.create_token(user, KEY)
        assert store.consume_token(token) is True
        assert store.get_token(KEY) is None

    def test_revoke_kills_every_token_of_that_user_only(self, store, user, bob) -> None:
        store.create_token(user, KEY)
        store.create_token(user, "aa" * 16)
        store.create_token(bob, OTHER_KEY)
        store.revoke_user_tokens(user)
        assert store.get_token(KEY) is None
        assert store.get_token("aa" * 16) is None
        kept = store.get_token(OTHER_KEY)
        assert kept is not None and kept.user == bob

    def test_a_token_issued_after_revocation_works(self, store, user) -> None:
        store.create_token(user, KEY)
        store.revoke_user_tokens(user)
        store.create_token(user, OTHER_KEY)
        found = store.get_token(OTHER_KEY)
        assert found is not None and found.user == user
        assert store.get_token(KEY) is None
        assert store.consume_token(found) is True

    def test_a_token_read_before_revocation_cannot_be_consumed_after_it(self, store, user) -> None:
        """A confirm that looked its token up just before another reset revoked it loses."""
        store.create_token(user, KEY)
        found = store.get_token(KEY)
        store.revoke_user_tokens(user)
        assert store.consume_token(found) is False

    # -- one key, one owner ------------------------------------------------------------------

    def test_a_live_key_is_never_given_to_another_user(self, store, user, bob) -> None:
        """Short codes collide; the second issue must fail instead of taking over the first."""
        store.create_token(user, KEY)
        with pytest.raises(DuplicateTokenError):
            store.create_token(bob, KEY)
        found = store.get_token(KEY)
        assert found is not None and found.user == user

    def test_a_live_key_stays_taken_across_secret_rotation(
        self, store, user, bob, settings
    ) -> None:
        settings.SECRET_KEY = "the-old-secret-key-for-this-test"
        store.create_token(user, KEY)
        settings.SECRET_KEY_FALLBACKS = ["the-old-secret-key-for-this-test"]
        settings.SECRET_KEY = "the-new-secret-key-for-this-test"
        with pytest.raises(DuplicateTokenError):
            store.create_token(bob, KEY)
        found = store.get_token(KEY)
        assert found is not None and found.user == user

    def test_a_key_matching_two_owners_is_refused(
        self, store, user, bob, settings, monkeypatch
    ) -> None:
        """If a race lets one key in twice (old and new secret), nobody gets to use it."""
        settings.SECRET_KEY = "the-old-secret-key-for-this-test"
        store.create_token(user, KEY)
        settings.SECRET_KEY_FALLBACKS = ["the-old-secret-key-for-this-test"]
        settings.SECRET_KEY = "the-new-secret-key-for-this-test"
        with monkeypatch.context() as patch:  # the other issuer did not see the first row yet
            patch.setattr(store, "lookup_digests", lambda key: [store.make_digest(key)])
            store.create_token(bob, KEY)
        assert store.get_token(KEY) is None

    def test_an_expired_key_can_be_issued_again(self, store, user, bob, clock) -> None:
        store.create_token(user, KEY)
        clock.shift(DAY + MINUTE)
        store.create_token(bob, KEY)
        found = store.get_token(KEY)
        assert found is not None and found.user == bob

    def test_a_revoked_key_can_be_issued_again(self, store, user, bob) -> None:
        store.create_token(user, KEY)
        store.revoke_user_tokens(user)
        store.create_token(bob, KEY)
        found = store.get_token(KEY)
        assert found is not None and found.user == bob

    # -- cleanup ---------------------------------------------------------------------------

    def test_clear_expired_removes_at_most_limit_oldest_first(self, store, user, clock) -> None:
        newest = store.create_token(user, "01" * 16)
        clock.shift(-2 * MINUTE)
        oldest = store.create_token(user, "02" * 16)
        clock.shift(MINUTE)
        middle = store.create_token(user, "03" * 16)
        clock.shift(DAY + 5 * MINUTE)
        fresh = store.create_token(user, "04" * 16)
        if not self.clears_expired_itself:
            assert store.clear_expired(limit=2) == 0
            assert store.get_token("04" * 16) is not None
            return
        assert store.clear_expired(limit=2) == 2
        assert self.stored_digests() == {newest.digest, fresh.digest}
        assert oldest.digest not in self.stored_digests()
        assert middle.digest not in self.stored_digests()
        assert store.clear_expired(limit=2) == 1
        assert self.stored_digests() == {fresh.digest}
        assert store.clear_expired(limit=2) == 0
        assert store.get_token("04" * 16) is not None

    def test_clear_expired_without_limit_removes_every_expired_token(
        self, store, user, clock
    ) -> None:
        for n in range(5):
            store.create_token(user, f"{n:032x}")
        clock.shift(DAY + MINUTE)
        fresh = store.create_token(user, KEY)
        assert store.clear_expired() == (5 if self.clears_expired_itself else 0)
        assert store.clear_expired() == 0
        assert fresh.digest in self.stored_digests()
        assert store.get_token(KEY) is not None

    # -- secret key rotation -----------------------------------------------------------------

    def test_token_made_under_a_fallback_key_is_accepted(self, store, user, settings) -> None:
        settings.SECRET_KEY = "the-old-secret-key-for-this-test"
        store.create_token(user, KEY)
        settings.SECRET_KEY_FALLBACKS = ["the-old-secret-key-for-this-test"]
        settings.SECRET_KEY = "the-new-secret-key-for-this-test"
        found = store.get_token(KEY)
        assert found is not None and found.user == user
        assert store.consume_token(found) is True
        assert store.get_token(KEY) is None

    def test_new_tokens_use_the_current_key(self, store, user, settings) -> None:
        settings.SECRET_KEY_FALLBACKS = ["the-old-secret-key-for-this-test"]
        settings.SECRET_KEY = "the-new-secret-key-for-this-test"
        token = store.create_token(user, KEY)
        assert token.digest == self.digest_under(KEY, "the-new-secret-key-for-this-test")
        assert self.stored_digests() == {token.digest}

    def test_token_made_under_a_retired_key_is_rejected(self, store, user, settings) -> None:
        settings.SECRET_KEY = "the-old-secret-key-for-this-test"
        store.create_token(user, KEY)
        settings.SECRET_KEY = "the-new-secret-key-for-this-test"
        settings.SECRET_KEY_FALLBACKS = []
        assert store.get_token(KEY) is None


class TestORMTokenStore(TokenStoreContract):
    def make_store(self, **options: Any) -> BaseTokenStore:
        return ORMTokenStore(**options)

    def stored_digests(self) -> set[str]:
        return raw_row_digests()


class TestCacheTokenStore(TokenStoreContract):
    clears_expired_itself = False
    alias = "default"

    def make_store(self, **options: Any) -> BaseTokenStore:
        return CacheTokenStore(cache_alias=self.alias, **options)

    def options_of(self, store: BaseTokenStore) -> dict[str, Any]:
        return {"cache_alias": self.alias}

    def digest_under(self, key: str, secret: str) -> str:
        # The same HMAC, its first 128 bits in base64 to keep the cache key short.
        return compact_digest(token_digest(key, secret))

    def stored_digests(self) -> set[str]:
        return {
            key.rsplit(":", 1)[1]
            for key in raw_cache_entries(self.alias)
            if key.rsplit(":", 2)[-2:-1] == ["t"]
        }


def tokens_alias_caches() -> dict[str, Any]:
    """``CACHES`` plus a ``tokens`` alias of the same kind as the run's default cache."""
    default = django_settings.CACHES["default"]
    if django_settings.CACHE_KIND == "redis":
        tokens = {**default, "KEY_PREFIX": f"{default['KEY_PREFIX']}-tokens"}
    else:
        tokens = {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "resetkit-tests-tokens",
        }
    return {**django_settings.CACHES, "tokens": tokens}


class TestCacheTokenStoreOnAnotherAlias(TestCacheTokenStore):
    """The same contract with the store on a second cache alias (``cache_alias``)."""

    alias = "tokens"

    @pytest.fixture(autouse=True)
    def _tokens_alias(self) -> Any:
        from django.core.cache import caches

        with override_settings(CACHES=tokens_alias_caches()):
            caches["tokens"].clear()
            yield
            caches["tokens"].clear()
