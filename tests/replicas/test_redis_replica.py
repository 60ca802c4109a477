"""Django's ``RedisCache`` with a replica: what resetkit reads to decide comes from the primary.

With ``LOCATION = [primary, replica]`` Django writes to the primary and reads from the replica.
Here the replica is a real ``redis-server --replicaof`` (``.ci/redis-replica.sh start``) that
is cut off (``REPLICAOF NO ONE``) once it has everything up to a chosen moment, so it keeps
answering with what it had then, as a lagging replica does. Then a consumed token, a revoked
token, a spent budget and a code revocation must hold all the same, while the cache's own
``get`` (a read resetkit does not rely on) does answer from the stale replica.

``RESETKIT_TEST_REDIS_REPLICA`` names the replica (``redis://127.0.0.1:6380``; the database
number of ``RESETKIT_REDIS_URL``, the primary, is used on both). Unset: this module skips,
saying so. Set and unreachable, or not replicating the primary: the tests fail.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse

from resetkit.attempts import CodeAttempts
from resetkit.backends import get_token_store
from resetkit.budgets import AccountTokenBudget
from resetkit.counters import WindowCounter
from tests.conftest import STORES, resetkit_overrides

REPLICA_URL = os.environ.get("RESETKIT_TEST_REDIS_REPLICA", "")
PRIMARY_URL = os.environ.get("RESETKIT_REDIS_URL", "redis://127.0.0.1:6379/1")

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not REPLICA_URL,
        reason="needs a Redis replica: RESETKIT_TEST_REDIS_REPLICA=redis://127.0.0.1:6380 "
        "(.ci/redis-replica.sh start; make test-redis-replica)",
    ),
]

VALIDATE_URL = reverse("password_reset:reset-password-validate")
CONFIRM_URL = reverse("password_reset:reset-password-confirm")
KEY = "9d" * 16


def same_database(url: str, primary: str) -> str:
    """``url`` with the primary's database number when it names none."""
    parts = urlsplit(url)
    if parts.path.strip("/"):
        return url
    return urlunsplit(parts._replace(path=urlsplit(primary).path))


class Replica:
    """The replica server: cut it off from the primary, and join it again."""

    def __init__(self, primary_url: str, replica_url: str) -> None:
        import redis

        self.primary = redis.Redis.from_url(primary_url, socket_timeout=10)
        self.replica = redis.Redis.from_url(replica_url, socket_timeout=10)
        info = self.primary.connection_pool.connection_kwargs
        self.primary_host, self.primary_port = info.get("host", "127.0.0.1"), info.get("port", 6379)

    def follow(self) -> None:
        """Replicate the primary again and wait until the link is up."""
        self.replica.execute_command("REPLICAOF", self.primary_host, self.primary_port)
        deadline = time.monotonic() + 30
        while self.replica.info("replication").get("master_link_status") != "up":
            if time.monotonic() > deadline:
                pytest.fail("the Redis replica did not catch up with the primary within 30s")
            time.sleep(0.05)

    def freeze(self) -> None:
        """Let the replica receive everything written so far, then cut it off: from now on it
        answers with what it had at this moment."""
        if self.primary.execute_command("WAIT", 1, 5000) < 1:
            pytest.fail("the Redis replica did not acknowledge the primary's writes")
        self.replica.execute_command("REPLICAOF", "NO", "ONE")


@pytest.fixture
def replica() -> Iterator[Replica]:
    url = same_database(REPLICA_URL, PRIMARY_URL)
    server = Replica(PRIMARY_URL, url)
    try:
        server.replica.ping()
        server.primary.ping()
    except Exception as exc:
        pytest.fail(f"RESETKIT_TEST_REDIS_REPLICA={REPLICA_URL}: cannot reach it ({exc})")
    server.follow()
    cache_settings = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": [PRIMARY_URL, url],
            "KEY_PREFIX": f"resetkit-replica-{uuid.uuid4().hex[:8]}",
        }
    }
    with (
        override_settings(CACHES=cache_settings),
        resetkit_overrides(
            TOKEN_STORE=STORES["cache"], VALIDATE_THROTTLE_CLASSES=[], CONFIRM_THROTTLE_CLASSES=[]
        ),
    ):
        try:
            yield server
        finally:
            server.follow()
            caches["default"].clear()


def post(api_client: Any, url: str, body: dict[str, str]) -> int:
    return int(api_client.post(url, body, format="json").status_code)


def test_the_cache_reads_from_the_lagging_replica(replica: Replica) -> None:
    """The set-up works: Django's own reads are served, stale, by the replica."""
    cache = caches["default"]
    cache.set("seen", "before", 60)
    replica.freeze()
    cache.set("seen", "after", 60)
    assert cache.get("seen") == "before"


def test_a_consumed_token_is_never_accepted_again(
    replica: Replica, api_client: Any, user: Any, signals: Any
) -> None:
    store = get_token_store()
    token = store.create_token(user, KEY)
    replica.freeze()  # the replica holds the live token and the user's stamp

    assert post(api_client, CONFIRM_URL, {"token": KEY, "password": "first-New-Passw0rd"}) == 200
    # The replica still has the entry: reading from it would accept the token again.
    assert caches["default"].get(store.token_cache_key(token.digest)) is not None

    assert post(api_client, VALIDATE_URL, {"token": KEY}) == 404
    assert post(api_client, CONFIRM_URL, {"token": KEY, "password": "second-New-Passw0rd"}) == 404
    assert get_token_store().get_token(KEY) is None
    assert len(signals.post) == 1
    user.refresh_from_db()
    assert user.check_password("first-New-Passw0rd")


def test_a_revoked_token_is_never_accepted(replica: Replica, api_client: Any, user: Any) -> None:
    store = get_token_store()
    store.create_token(user, KEY)
    replica.freeze()
    store.revoke_user_tokens(user)
    # The replica still has the old stamp, under which the token is live.
    assert caches["default"].get(store.user_cache_key(user.pk)) is not None

    assert store.get_token(KEY) is None
    assert post(api_client, VALIDATE_URL, {"token": KEY}) == 404
    assert post(api_client, CONFIRM_URL, {"token": KEY, "password": "brand-New-Passw0rd"}) == 404
    user.refresh_from_db()
    assert user.check_password("old-Passw0rd!")


def test_a_token_consumed_by_one_store_is_refused_by_another(replica: Replica, user: Any) -> None:
    """A second store (another worker) that never read the token itself."""
    first = get_token_store()
    first.create_token(user, KEY)
    token = first.get_token(KEY)
    replica.freeze()
    assert first.consume_and_revoke(token)
    other = get_token_store()
    assert other.get_token(KEY) is None
    assert not other.consume_token(token)
    assert not other.consume_and_revoke(token)


def test_a_spent_window_does_not_give_way(replica: Replica, clock: Any) -> None:
    """Events of earlier slices are counted from the primary, not the replica that lacks
    them."""
    counter = WindowCounter("resetkit:replica-test", 3, 3600)
    replica.freeze()  # before any event: the replica never sees them
    assert all(counter.hit("client").allowed for _ in range(3))
    clock.shift(timedelta(minutes=2))  # into a later slice of the same window
    refused = counter.hit("client")
    assert not refused.allowed and refused.count == 3
    assert counter.peek("client") == 3


def test_the_account_budget_does_not_give_way(replica: Replica, user: Any, clock: Any) -> None:
    budget = AccountTokenBudget("3/hour")
    replica.freeze()
    assert [budget.consume(user) for _ in range(3)] == [True, True, True]
    clock.shift(timedelta(minutes=5))
    assert budget.consume(user) is False


def test_a_code_revocation_is_seen_at_once(replica: Replica) -> None:
    attempts = CodeAttempts(5, 900, namespace="replica-test")
    attempt = attempts.reserve("alice@example.com")
    replica.freeze()
    attempts.revoke(attempt)
    assert attempts.revoked_since(attempt) is not None
