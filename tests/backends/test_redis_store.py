"""What only the Redis token store has: one round trip a step, an atomic reset, one client per
process, small entries, one hash slot, and what it reports when Redis or redis-py is missing.

Each test runs on a single Redis and on a Cluster (``tests/backends/redis_targets.py`` says how
to point them at one; unset, they skip).
"""

from __future__ import annotations

import itertools
import sys
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from django.contrib.auth import get_user_model
from django.urls import reverse
from redis.crc import key_slot
from rest_framework.test import APIClient

from resetkit.backends import get_token_store
from resetkit.backends import redis as redis_store
from resetkit.backends.base import BaseTokenStore
from resetkit.backends.redis import RedisTokenStore
from resetkit.digests import token_digest
from resetkit.exceptions import StoreUnavailable
from tests.backends.raw import leaks_in_value
from tests.backends.redis_targets import (
    CLUSTER,
    SENTINEL,
    SINGLE,
    TARGETS,
    URL_VARIABLE,
    Target,
)
from tests.concurrency import run_together
from tests.conftest import resetkit_overrides

PREFIX = "resetkit-store-tests"
STORE_CLASS = "resetkit.backends.redis.RedisTokenStore"
CONFIRM_URL = reverse("password_reset:reset-password-confirm")
BROWSER_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)


@pytest.fixture(params=sorted(TARGETS))
def target(request: pytest.FixtureRequest) -> Iterator[Target]:
    target = TARGETS[request.param]
    target.require()
    target.clear(PREFIX)
    yield target
    target.clear(PREFIX)


@pytest.fixture
def store(target: Target, db: Any) -> RedisTokenStore:
    return RedisTokenStore(**target.store_options(PREFIX))


@pytest.fixture
def configured(target: Target) -> Iterator[None]:
    """The store configured globally, as a project does."""
    options = target.store_options(PREFIX)
    with resetkit_overrides(
        TOKEN_STORE={"CLASS": STORE_CLASS, "OPTIONS": options},
        CONFIRM_THROTTLE_CLASSES=[],
        VALIDATE_THROTTLE_CLASSES=[],
    ):
        yield


class RoundTrips:
    """Counts what redis-py writes to its sockets on this thread: one write, one round trip
    (a pipeline or a script is one)."""

    def __init__(self) -> None:
        self.local = threading.local()

    @property
    def count(self) -> int:
        return int(getattr(self.local, "count", 0))

    def reset(self) -> None:
        self.local.count = 0

    def counting(self, real: Any) -> Any:
        def send_packed_command(connection: Any, *args: Any, **kwargs: Any) -> Any:
            self.local.count = self.count + 1
            return real(connection, *args, **kwargs)

        return send_packed_command


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> RoundTrips:
    counter = RoundTrips()
    connection_class = redis.connection.AbstractConnection
    monkeypatch.setattr(
        connection_class,
        "send_packed_command",
        counter.counting(connection_class.send_packed_command),
    )
    return counter


# -- one round trip per step ----------------------------------------------------------------


def test_each_step_is_one_round_trip(store, user, make_user, round_trips) -> None:
    """Issue, look up (also for a code checked against its account), consume and revoke,
    revoke: one command each, however many checks the step makes."""
    other = make_user(email="other@example.com")
    # The scripts are loaded on first use (EVALSHA answers NOSCRIPT, SCRIPT LOAD): warm up.
    warm = store.create_token(other, "00" * 16)
    store.get_token("00" * 16)
    store.consume_token(warm)

    steps = {}
    round_trips.reset()
    store.create_token(user, "11" * 16, ip_address="192.0.2.1", user_agent="UA")
    steps["issue"] = round_trips.count
    round_trips.reset()
    store.create_token(user, "22" * 16)
    steps["issue another"] = round_trips.count
    round_trips.reset()
    token = store.get_token("11" * 16)
    steps["look up"] = round_trips.count
    round_trips.reset()
    assert store.get_token_for_users("22" * 16, [user]) is not None
    steps["look up for users"] = round_trips.count
    round_trips.reset()
    assert store.get_token("33" * 16) is None
    steps["look up unknown"] = round_trips.count
    round_trips.reset()
    assert token is not None and store.consume_and_revoke(token) is True
    steps["consume and revoke"] = round_trips.count
    round_trips.reset()
    store.revoke_user_tokens(user)
    steps["revoke"] = round_trips.count

    assert steps == {
        "issue": 1,
        "issue another": 1,
        "look up": 1,
        "look up for users": 1,
        "look up unknown": 1,
        "consume and revoke": 1,
        "revoke": 1,
    }
    # ... and the consume-and-revoke did revoke: the user's other token is dead.
    assert store.get_token("22" * 16) is None


def test_a_flushed_script_cache_is_reloaded(store, target, user) -> None:
    """After ``SCRIPT FLUSH`` (a restart, a failover) the scripts are loaded again."""
    store.create_token(user, "44" * 16)
    target.client().script_flush()
    assert store.get_token("44" * 16) is not None


# -- atomic reset ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_tokens_of_one_user_consumed_at_once_one_wins(target, user) -> None:
    """consume_and_revoke is one script: of two tokens of one user spent together, only one
    reset goes through (the other token was revoked by it). Ten trials."""
    store = RedisTokenStore(**target.store_options(PREFIX))
    for trial in range(10):
        keys = [f"{trial:02x}{n:030x}" for n in range(2)]
        for key in keys:
            store.create_token(user, key)
        tokens = [store.get_token(key) for key in keys]
        assert all(token is not None for token in tokens)
        results = run_together(2, lambda n, tokens=tokens: store.consume_and_revoke(tokens[n]))
        assert sorted(results) == [False, True], f"trial {trial}: {results}"
        assert all(store.get_token(key) is None for key in keys)


@pytest.mark.django_db(transaction=True)
def test_one_token_consumed_by_32_at_once_one_wins(target, user) -> None:
    store = RedisTokenStore(**target.store_options(PREFIX))
    store.create_token(user, "c3" * 16)
    token = store.get_token("c3" * 16)
    results = run_together(32, lambda n: store.consume_and_revoke(token))
    assert sorted(results) == [False] * 31 + [True]


def password_of(n: int) -> str:
    return f"thread-{n:02d}-Passw0rd!x"


@pytest.mark.django_db(transaction=True)
def test_two_tokens_of_one_user_confirmed_at_once(target, configured, user, signals) -> None:
    """Through the confirm endpoint: exactly one 200, one post_password_reset, ten trials."""
    store = get_token_store()
    for trial in range(10):
        keys = [store.create_token(user, f"{trial:02x}{n:030x}").key for n in range(2)]

        def confirm(n: int, keys: list[Any] = keys, trial: int = trial) -> int:
            response = APIClient().post(
                CONFIRM_URL, {"token": keys[n], "password": password_of(trial)}, format="json"
            )
            return int(response.status_code)

        posted = len(signals.post)
        statuses = run_together(2, confirm)
        assert sorted(statuses) == [200, 404], f"trial {trial}: {statuses}"
        assert len(signals.post) == posted + 1
        user = get_user_model()._default_manager.get(pk=user.pk)
        assert user.check_password(password_of(trial))


@pytest.mark.django_db(transaction=True)
def test_one_token_confirmed_by_32_at_once(target, configured, user, signals) -> None:
    key = get_token_store().create_token(user, "5a" * 16).key

    def confirm(n: int) -> int:
        response = APIClient().post(
            CONFIRM_URL, {"token": key, "password": password_of(n)}, format="json"
        )
        return int(response.status_code)

    statuses = run_together(32, confirm)
    assert sorted(statuses) == [200] + [404] * 31
    assert len(signals.pre) == 1 and len(signals.post) == 1
    fresh = get_user_model()._default_manager.get(pk=user.pk)
    assert fresh.check_password(password_of(statuses.index(200)))


# -- one client per process -----------------------------------------------------------------

factory_calls = itertools.count()
factory_target: Target | None = None


def client_factory() -> Any:
    """A client factory, as a project names one in ``OPTIONS["client"]``."""
    next(factory_calls)
    target = factory_target
    assert target is not None
    return target.new_client()


@pytest.mark.django_db(transaction=True)  # the threads look the user up on their connections
def test_the_client_is_built_once_per_process(target, user, monkeypatch) -> None:
    """Stores are built per request; the client and its pool are not. A forked process (a
    new pid) builds its own."""
    monkeypatch.setattr(redis_store, "_connections", {})
    monkeypatch.setattr(sys.modules[__name__], "factory_target", target)
    options = {"client": f"{__name__}.client_factory", "key_prefix": PREFIX}
    before = next(factory_calls)
    with resetkit_overrides(TOKEN_STORE={"CLASS": STORE_CLASS, "OPTIONS": options}):
        key = get_token_store().create_token(user, "66" * 16).key
        run_together(8, lambda n: get_token_store().get_token(key))
        assert next(factory_calls) - before == 2  # one build, plus the count's own call
        clients = {id(get_token_store().client) for _ in range(5)}
        assert len(clients) == 1
        monkeypatch.setattr(redis_store, "current_pid", lambda: -1)
        assert get_token_store().get_token(key) is not None
        assert id(get_token_store().client) not in clients
    assert next(factory_calls) - before == 4


def test_a_url_store_shares_its_client_and_builds_none_at_construction(target, monkeypatch):
    if target.variable != URL_VARIABLE:
        pytest.skip("a url names a single Redis")
    monkeypatch.setattr(redis_store, "_connections", {})
    built = []
    real = redis.Redis.from_url
    monkeypatch.setattr(redis.Redis, "from_url", lambda *a, **k: built.append(1) or real(*a, **k))
    stores = [RedisTokenStore(url=target.value, key_prefix=PREFIX) for _ in range(3)]
    assert built == []
    assert len({id(store.client) for store in stores}) == 1
    assert built == [1]


# -- what is stored -------------------------------------------------------------------------


def test_a_token_with_a_browser_user_agent_stays_small(store, target, user) -> None:
    """An outstanding token takes at most 300 bytes of Redis memory (MEMORY USAGE: key,
    value and Redis's own records); a UUID primary key, kept as 16 bytes, 32 more."""
    token = store.create_token(user, "77" * 16, ip_address="203.0.113.7", user_agent=BROWSER_UA)
    client = target.client()
    usage = client.memory_usage(store.token_redis_key(token.digest), samples=0)
    limit = 332 if isinstance(user.pk, uuid.UUID) else 300
    if target is CLUSTER:
        # A Cluster node keeps each key in its slot's index too: 16 bytes a key, whatever it
        # holds (test_a_cluster_key_costs_16_bytes_more below measures it).
        limit += 16
    assert usage <= limit, usage
    stamp = client.memory_usage(store.user_redis_key(user.pk), samples=0)
    assert stamp <= 128, stamp  # once per user, whatever the number of tokens
    found = store.get_token("77" * 16)
    assert found is not None
    assert (found.ip_address, found.user_agent) == ("203.0.113.7", BROWSER_UA)


def test_a_cluster_key_costs_16_bytes_more() -> None:
    """The same key and value take 16 bytes more on a Cluster node than on a single Redis."""
    SINGLE.require()
    CLUSTER.require()
    key, value = f"{{{PREFIX}}}:t:{'x' * 22}", b"v" * 183
    usages = []
    for target in (SINGLE, CLUSTER):
        target.client().set(key, value, px=60_000)
        usages.append(target.client().memory_usage(key, samples=0))
        target.client().delete(key)
    assert usages[1] - usages[0] == 16, usages


@pytest.mark.parametrize("key", ["731562", "c0ffee00" * 4])
def test_nothing_raw_at_rest(store, target, user, key) -> None:
    """Keys hold the digest (its first 128 bits), values neither the token nor its digest."""
    store.create_token(user, key, ip_address="192.0.2.1", user_agent="UA/1")
    client = target.client()
    keys = target.keys(PREFIX)
    assert len(keys) == 2  # the token and the user's stamp
    for redis_key in keys:
        assert not leaks_in_value(key, redis_key), redis_key
        value = client.get(redis_key)
        assert not leaks_in_value(key, value), value
        assert token_digest(key).encode() not in value
    assert store.get_token(key) is not None


def test_the_search_finds_a_planted_token(store, target, user) -> None:
    """The search above can fail: a token written where a field allows it is found."""
    store.create_token(user, "88" * 16, user_agent="planted c0ffee00c0ffee00c0ffee00c0ffee00")
    value = target.client().get(store.token_redis_key(store.make_digest("88" * 16)))
    assert leaks_in_value("c0ffee00" * 4, value)


@pytest.mark.parametrize(
    "address", ["203.0.113.7", "2001:db8::1", "2001:DB8::1", "::ffff:192.0.2.1", None, "junk:1"]
)
def test_addresses_and_agents_come_back_as_given(store, user, address) -> None:
    agent = "ünïcode: agent : with colons"
    store.create_token(user, "99" * 16, ip_address=address, user_agent=agent)
    found = store.get_token("99" * 16)
    assert found is not None and (found.ip_address, found.user_agent) == (address, agent)


def test_every_key_of_the_store_is_in_one_hash_slot(store, target, user, make_user) -> None:
    """Each script touches one slot, as a Cluster requires."""
    for n in range(5):
        store.create_token(make_user(email=f"p{n}@example.com"), f"{n:032x}")
    store.create_token(user, KEY_A)
    keys = target.keys(PREFIX)
    assert len(keys) == 12
    assert len({key_slot(key) for key in keys}) == 1


KEY_A = "ab" * 16


def test_key_prefix_separates_stores(target, user, db) -> None:
    one = RedisTokenStore(**target.store_options(PREFIX))
    other = RedisTokenStore(**{**target.store_options(PREFIX), "key_prefix": PREFIX + "-b"})
    try:
        one.create_token(user, KEY_A)
        assert other.get_token(KEY_A) is None
        assert one.get_token(KEY_A) is not None
    finally:
        target.clear(PREFIX + "-b")


def test_entry_and_stamp_expire_by_themselves(store, target, user) -> None:
    token = store.create_token(user, KEY_A)
    client = target.client()
    ttl = client.pttl(store.token_redis_key(token.digest)) / 1000
    assert 24 * 3600 - 5 <= ttl <= 24 * 3600
    stamp_ttl = client.pttl(store.user_redis_key(user.pk)) / 1000
    assert stamp_ttl >= 31 * 86400 - 5
    assert store.clear_expired() == 0
    assert store.expires_by_itself and not store.lists_tokens


# -- configuration and outages ----------------------------------------------------------------


def test_configured_through_the_setting(target, configured, user) -> None:
    store = get_token_store()
    assert isinstance(store, RedisTokenStore)
    assert store.create_token(user, KEY_A).key == KEY_A
    assert store.check() == []


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "exactly one of"),
        ({"url": "redis://x", "client": "a.b"}, "exactly one of"),
        ({"client": "a.b", "socket_timeout": 1}, "go with 'url'"),
        ({"url": "redis://x", "key_prefix": "a{b}"}, "without braces"),
    ],
)
def test_bad_options_are_refused_at_construction(options, message) -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match=message):
        RedisTokenStore(**options)


def unreachable_store() -> RedisTokenStore:
    """A store on a loopback port nothing listens on."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return RedisTokenStore(url=f"redis://127.0.0.1:{port}/0", socket_connect_timeout=0.5)


def test_an_unreachable_redis_is_an_outage_and_a_warning(user) -> None:
    store = unreachable_store()
    with pytest.raises(StoreUnavailable):
        store.create_token(user, KEY_A)
    with pytest.raises(StoreUnavailable):
        store.get_token(KEY_A)
    [warning] = store.check()
    assert warning.id == "resetkit.W017" and "cannot reach Redis" in warning.msg


def test_a_missing_redis_package_is_reported(monkeypatch) -> None:
    monkeypatch.setattr(redis_store, "_connections", {})
    monkeypatch.setitem(sys.modules, "redis", None)  # import redis now raises ImportError
    store = RedisTokenStore(url="redis://127.0.0.1:6379/6")
    [error] = store.check()
    assert error.id == "resetkit.E018" and "'redis' package" in error.msg


def test_an_unknown_client_factory_is_reported(monkeypatch) -> None:
    monkeypatch.setattr(redis_store, "_connections", {})
    [error] = RedisTokenStore(client="tests.nowhere.client").check()
    assert error.id == "resetkit.E018" and "tests.nowhere.client" in error.msg


def test_the_store_keeps_the_base_contract_small() -> None:
    """consume_and_revoke is an override of the base default, not a new requirement."""
    assert "consume_and_revoke" in vars(BaseTokenStore)
    assert RedisTokenStore.consume_and_revoke is not BaseTokenStore.consume_and_revoke


@pytest.mark.django_db(transaction=True)
def test_a_sentinel_failover_keeps_the_tokens_and_the_store(user) -> None:
    """The master fails over to its replica: the store's client (``master_for``) follows,
    outstanding tokens are still there, and while it switches a step answers
    ``StoreUnavailable`` (a 503), never anything else."""
    import time

    from redis.sentinel import Sentinel

    SENTINEL.require()
    SENTINEL.clear(PREFIX)
    store = RedisTokenStore(**SENTINEL.store_options(PREFIX))
    store.create_token(user, KEY_A)
    client = SENTINEL.client()
    assert client.wait(1, 5000) == 1  # the replica has the token
    hosts = [(h, int(p)) for h, p in (n.rsplit(":", 1) for n in str(SENTINEL.value).split(","))]
    sentinel = Sentinel(hosts, socket_timeout=5)
    before = sentinel.discover_master("resetkit")
    sentinel.sentinels[0].sentinel_failover("resetkit")
    deadline = time.monotonic() + 30
    while sentinel.discover_master("resetkit") == before:
        assert time.monotonic() < deadline, "no failover within 30 s"
        time.sleep(0.2)
    found, outages = None, 0
    while found is None:
        assert time.monotonic() < deadline, f"the store did not recover ({outages} outages)"
        try:
            found = store.get_token(KEY_A)
        except StoreUnavailable:
            outages += 1
            time.sleep(0.2)
        else:
            assert found is not None, "the token was lost in the failover"
    assert store.consume_and_revoke(found) is True
    assert store.get_token(KEY_A) is None
    SENTINEL.clear(PREFIX)


# -- the cookbook's client functions ------------------------------------------------------------


@pytest.mark.parametrize(("name", "target"), [("sentinel", SENTINEL), ("cluster", CLUSTER)])
def test_the_cookbook_client_functions(name, target, user, monkeypatch) -> None:
    """docs/cookbook/code/redis_clients.py, pointed at the test servers, named in
    ``OPTIONS["client"]`` as the page shows."""
    from tests.cookbook import load_recipe

    target.require()
    target.clear(PREFIX)
    recipe = load_recipe("redis_clients")
    hosts = [(h, int(p)) for h, p in (n.rsplit(":", 1) for n in str(target.value).split(","))]
    monkeypatch.setattr(recipe, "SENTINELS" if name == "sentinel" else "CLUSTER_NODES", hosts)
    monkeypatch.setattr(redis_store, "_connections", {})
    settings = load_recipe("redis_store_settings").RESETKIT["TOKEN_STORE"]
    options = {**settings["OPTIONS"], "client": f"cookbook.redis_clients.{name}_client"}
    options["key_prefix"] = PREFIX
    with resetkit_overrides(TOKEN_STORE={**settings, "OPTIONS": options}):
        store = get_token_store()
        assert store.check() == []
        store.create_token(user, KEY_A)
        found = get_token_store().get_token(KEY_A)
        assert found is not None and found.user == user
        assert get_token_store().consume_and_revoke(found) is True
    target.clear(PREFIX)


def test_an_unreachable_cluster_is_an_outage(user, monkeypatch) -> None:
    """A Cluster client that reaches no node: ``StoreUnavailable`` (a 503), like any outage."""
    import socket

    from redis.cluster import ClusterNode, RedisCluster

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(
        sys.modules[__name__],
        "unreachable_cluster",
        lambda: RedisCluster(
            startup_nodes=[ClusterNode("127.0.0.1", port)], socket_connect_timeout=0.5
        ),
        raising=False,
    )
    monkeypatch.setattr(redis_store, "_connections", {})
    store = RedisTokenStore(client=f"{__name__}.unreachable_cluster")
    with pytest.raises(StoreUnavailable):
        store.get_token(KEY_A)
    [warning] = store.check()
    assert warning.id == "resetkit.W017"
