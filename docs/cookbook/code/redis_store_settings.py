"""The Redis token store on Redis Sentinel (or, with ``cluster_client``, on a Cluster)."""

RESETKIT = {
    "TOKEN_STORE": {
        "CLASS": "resetkit.backends.redis.RedisTokenStore",
        "OPTIONS": {
            # A function of accounts/redis_clients.py; "accounts.redis_clients.cluster_client"
            # for a Cluster.
            "client": "accounts.redis_clients.sentinel_client",
            "key_prefix": "resetkit",
        },
    },
}
