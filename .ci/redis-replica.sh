#!/usr/bin/env bash
# A Redis replica of the local Redis, for tests/replicas/ (make test-replica).
#
#   .ci/redis-replica.sh start   start it on REPLICA_PORT (6380) replicating PRIMARY_HOST:PRIMARY_PORT
#                                (127.0.0.1:6379) and wait until it has synced
#   .ci/redis-replica.sh stop    shut it down (no data is saved)
#
# Loopback only, no persistence; started daemonized, it stops with `stop` or with the machine.
set -euo pipefail

PRIMARY_HOST=${PRIMARY_HOST:-127.0.0.1}
PRIMARY_PORT=${PRIMARY_PORT:-6379}
REPLICA_PORT=${REPLICA_PORT:-6380}
SYNC_WAIT=${SYNC_WAIT:-30}
REPLICA_DIR=${REPLICA_DIR:-${TMPDIR:-/tmp}/resetkit-redis-replica-$REPLICA_PORT}

cli() { redis-cli -h 127.0.0.1 -p "$REPLICA_PORT" "$@"; }

case "${1:-}" in
start)
    if ! cli ping >/dev/null 2>&1; then
        # Its own directory, and loading from the socket: a replica writes no dump.rdb here.
        mkdir -p "$REPLICA_DIR"
        redis-server --port "$REPLICA_PORT" --bind 127.0.0.1 \
            --replicaof "$PRIMARY_HOST" "$PRIMARY_PORT" \
            --save '' --appendonly no --daemonize yes \
            --dir "$REPLICA_DIR" --repl-diskless-load swapdb \
            --pidfile "$REPLICA_DIR/redis.pid" --logfile "$REPLICA_DIR/redis.log"
    fi
    for _ in $(seq "$SYNC_WAIT"); do
        if cli info replication 2>/dev/null | grep -q '^master_link_status:up'; then
            echo "Redis replica on 127.0.0.1:$REPLICA_PORT follows $PRIMARY_HOST:$PRIMARY_PORT"
            exit 0
        fi
        sleep 1
    done
    echo "the Redis replica on 127.0.0.1:$REPLICA_PORT did not sync within ${SYNC_WAIT}s" >&2
    exit 1
    ;;
stop)
    cli shutdown nosave >/dev/null 2>&1 || true
    echo "Redis replica on 127.0.0.1:$REPLICA_PORT stopped"
    ;;
*)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
