"""The token-store contract on the Redis token store: on a single Redis, on a Cluster and
through Sentinel.

Set ``RESETKIT_TEST_REDIS_STORE_URL`` (a single Redis), ``RESETKIT_TEST_REDIS_CLUSTER``
(startup nodes of a Cluster) and ``RESETKIT_TEST_REDIS_SENTINEL`` (Sentinels) to run them; see
``tests/backends/redis_targets.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from resetkit.backends.base import BaseTokenStore
from resetkit.backends.cache import compact_digest
from resetkit.backends.redis import RedisTokenStore
from resetkit.digests import token_digest
from tests.backends.redis_targets import CLUSTER, SENTINEL, SINGLE, Target
from tests.backends.test_contract import TokenStoreContract

PREFIX = "resetkit-contract"


class RedisContract(TokenStoreContract):
    clears_expired_itself = False
    target: Target

    @pytest.fixture(autouse=True)
    def _redis(self) -> Iterator[None]:
        self.target.require()
        self.target.clear(PREFIX)
        yield
        self.target.clear(PREFIX)

    def options_of(self, store: BaseTokenStore) -> dict[str, Any]:
        return self.target.store_options(PREFIX)

    def make_store(self, **options: Any) -> BaseTokenStore:
        return RedisTokenStore(**self.target.store_options(PREFIX), **options)

    def digest_under(self, key: str, secret: str) -> str:
        return compact_digest(token_digest(key, secret))

    def stored_digests(self) -> set[str]:
        marker = f"{{{PREFIX}}}:t:".encode()
        return {
            key[len(marker) :].decode()
            for key in self.target.keys(PREFIX)
            if key.startswith(marker)
        }


class TestRedisTokenStore(RedisContract):
    target = SINGLE


class TestRedisTokenStoreOnACluster(RedisContract):
    target = CLUSTER


class TestRedisTokenStoreThroughSentinel(RedisContract):
    target = SENTINEL
