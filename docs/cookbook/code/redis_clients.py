"""Redis clients for the Redis token store: ``OPTIONS["client"]`` names one of these functions.

Each is called once per process, the first time a token is issued or read there.
"""

from redis.cluster import ClusterNode, RedisCluster
from redis.sentinel import Sentinel

# Your Sentinels, and the name they know the master by (``sentinel monitor <name> ...``).
SENTINELS = [("10.0.0.11", 26379), ("10.0.0.12", 26379), ("10.0.0.13", 26379)]
SERVICE_NAME = "resetkit"

# Any few nodes of your Cluster: the client learns the others from them.
CLUSTER_NODES = [("10.0.1.11", 6379), ("10.0.1.12", 6379), ("10.0.1.13", 6379)]

TIMEOUTS = {"socket_connect_timeout": 5, "socket_timeout": 5}


def sentinel_client():
    """The current master of SERVICE_NAME; after a failover, the new one."""
    sentinel = Sentinel(SENTINELS, **TIMEOUTS)
    return sentinel.master_for(SERVICE_NAME, **TIMEOUTS)


def cluster_client():
    """A Cluster client: it sends each script to the node that holds the store's slot."""
    nodes = [ClusterNode(host, port) for host, port in CLUSTER_NODES]
    return RedisCluster(startup_nodes=nodes, **TIMEOUTS)
