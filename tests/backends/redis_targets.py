"""The Redis servers the Redis token store is tested against, chosen through the environment.

* ``RESETKIT_TEST_REDIS_STORE_URL``: a single Redis (``redis://127.0.0.1:6379/6``);
* ``RESETKIT_TEST_REDIS_CLUSTER``: a Redis Cluster, its startup nodes as ``host:port,...``
  (``.ci/redis-cluster.sh start`` makes one on 127.0.0.1:7000-7002);
* ``RESETKIT_TEST_REDIS_SENTINEL``: Sentinels as ``host:port,...`` watching a master named
  ``resetkit`` (``.ci/redis-sentinel.sh start``: master 7003, replica 7004, Sentinel 7005).

A target whose variable is unset is skipped, saying which variable to set; a target that is
set but does not answer fails its tests: CI asked for it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest

URL_VARIABLE = "RESETKIT_TEST_REDIS_STORE_URL"
CLUSTER_VARIABLE = "RESETKIT_TEST_REDIS_CLUSTER"
SENTINEL_VARIABLE = "RESETKIT_TEST_REDIS_SENTINEL"
SENTINEL_SERVICE = "resetkit"

_clients: dict[str, Any] = {}
_unreachable: dict[str, str] = {}


@dataclass(frozen=True)
class Target:
    name: str
    variable: str

    @property
    def value(self) -> str | None:
        return os.environ.get(self.variable) or None

    def require(self) -> None:
        """Skip when not configured; fail when configured and unreachable."""
        if self.value is None:
            pytest.skip(f"the Redis token store on {self.name} needs {self.variable}")
        if self.value in _unreachable:  # fail the rest at once, not after every timeout
            pytest.fail(_unreachable[self.value])
        try:
            self.client().ping()
        except Exception as exc:
            _unreachable[self.value] = f"{self.variable}={self.value}: cannot reach Redis ({exc})"
            pytest.fail(_unreachable[self.value])

    def client(self) -> Any:
        """A client of the target (one per target and process)."""
        value = self.value
        assert value is not None
        if value not in _clients:
            _clients[value] = self.new_client()
        return _clients[value]

    def new_client(self) -> Any:
        """A new client of the target: a ``RedisCluster`` for a Cluster, the master's client
        for Sentinels (as a project's client factory makes them)."""
        import redis
        from redis.cluster import ClusterNode, RedisCluster
        from redis.sentinel import Sentinel

        value = self.value
        assert value is not None
        if self.variable == URL_VARIABLE:
            return redis.Redis.from_url(value, socket_connect_timeout=2, socket_timeout=5)
        nodes = [(host, int(port)) for host, port in (n.rsplit(":", 1) for n in value.split(","))]
        if self.variable == CLUSTER_VARIABLE:
            return RedisCluster(
                startup_nodes=[ClusterNode(host, port) for host, port in nodes],
                socket_connect_timeout=2,
                socket_timeout=5,
            )
        if self.variable == SENTINEL_VARIABLE:
            sentinel = Sentinel(nodes, socket_connect_timeout=2, socket_timeout=5)
        return sentinel.master_for(SENTINEL_SERVICE, socket_connect_timeout=2, socket_timeout=5)

    def store_options(self, key_prefix: str) -> dict[str, Any]:
        """The store's options on this target: a ``url``, or the cluster's client."""
        if self.variable == URL_VARIABLE:
            return {"url": self.value, "key_prefix": key_prefix}
        return {"client": self.client(), "key_prefix": key_prefix}

    def keys(self, key_prefix: str) -> list[bytes]:
        """Every key of the store with ``key_prefix``, read around the store (on a Cluster,
        on the node of the store's one hash slot)."""
        pattern = f"{{{key_prefix}}}:*"
        client = self.client()
        if self.variable == CLUSTER_VARIABLE:
            node = client.get_node_from_key(pattern)
            return sorted(client.keys(pattern, target_nodes=node))
        return sorted(client.keys(pattern))

    def clear(self, key_prefix: str) -> None:
        keys = self.keys(key_prefix)
        if keys:
            self.client().delete(*keys)


SINGLE = Target("a single Redis", URL_VARIABLE)
CLUSTER = Target("a Redis Cluster", CLUSTER_VARIABLE)
SENTINEL = Target("Redis Sentinel", SENTINEL_VARIABLE)
TARGETS = {"single": SINGLE, "cluster": CLUSTER, "sentinel": SENTINEL}
