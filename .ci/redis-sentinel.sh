#!/usr/bin/env bash
# A throwaway Redis Sentinel setup on loopback for the Redis token store's tests.
#
#   .ci/redis-sentinel.sh start   a master on 127.0.0.1:7003, its replica on 7004 and one
#                                 Sentinel on 7005 watching them as "resetkit" (quorum 1);
#                                 returns once the Sentinel sees the replica
#   .ci/redis-sentinel.sh stop    stop them and remove their directory
#
# Environment: REDIS_SERVER (default /usr/bin/redis-server), REDIS_CLI (default
# /usr/bin/redis-cli), SENTINEL_DIR (default ${TMPDIR:-/tmp}/resetkit-redis-sentinel),
# SENTINEL_WAIT (seconds, default 30).

set -euo pipefail

REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REDIS_CLI=${REDIS_CLI:-/usr/bin/redis-cli}
SENTINEL_DIR=${SENTINEL_DIR:-${TMPDIR:-/tmp}/resetkit-redis-sentinel}
SENTINEL_WAIT=${SENTINEL_WAIT:-30}
MASTER_PORT=7003
REPLICA_PORT=7004
SENTINEL_PORT=7005

die() { echo "redis-sentinel: $*" >&2; exit 1; }

cli() { "$REDIS_CLI" -h 127.0.0.1 -p "$1" "${@:2}"; }

wait_for() {  # wait_for <description> <command...>
    local what=$1; shift
    for _ in $(seq $((SENTINEL_WAIT * 10))); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "$what after ${SENTINEL_WAIT}s (logs in $SENTINEL_DIR)"
}

stop() {
    local name pidfile
    for name in sentinel replica master; do
        pidfile="$SENTINEL_DIR/$name/redis.pid"
        # The pids this script started, never a broad name.
        [ -f "$pidfile" ] && kill "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null || true
    done
    for name in sentinel replica master; do
        pidfile="$SENTINEL_DIR/$name/redis.pid"
        for _ in $(seq 50); do
            [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null || break
            sleep 0.1
        done
    done
    rm -rf "$SENTINEL_DIR"
}

server() {  # server <name> <port> [extra redis-server arguments]
    local name=$1 port=$2; shift 2
    mkdir -p "$SENTINEL_DIR/$name"
    "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --save "" --appendonly no \
        --dir "$SENTINEL_DIR/$name" --daemonize yes \
        --pidfile "$SENTINEL_DIR/$name/redis.pid" --logfile "$SENTINEL_DIR/$name/redis.log" "$@"
}

start() {
    [ -x "$REDIS_SERVER" ] || die "needs $REDIS_SERVER (Debian's redis-server package)"
    [ -x "$REDIS_CLI" ] || die "needs $REDIS_CLI (Debian's redis-tools package)"
    stop  # a setup left by an earlier run
    server master "$MASTER_PORT"
    server replica "$REPLICA_PORT" --replicaof 127.0.0.1 "$MASTER_PORT"
    mkdir -p "$SENTINEL_DIR/sentinel"
    cat >"$SENTINEL_DIR/sentinel/sentinel.conf" <<CONF
port $SENTINEL_PORT
bind 127.0.0.1
dir $SENTINEL_DIR/sentinel
daemonize yes
pidfile $SENTINEL_DIR/sentinel/redis.pid
logfile $SENTINEL_DIR/sentinel/redis.log
sentinel monitor resetkit 127.0.0.1 $MASTER_PORT 1
sentinel down-after-milliseconds resetkit 2000
sentinel failover-timeout resetkit 10000
CONF
    "$REDIS_SERVER" "$SENTINEL_DIR/sentinel/sentinel.conf" --sentinel
    wait_for "the replica is not in sync" \
        sh -c "'$REDIS_CLI' -p $REPLICA_PORT info replication | grep -q '^master_link_status:up'"
    wait_for "the Sentinel does not see the replica" \
        sh -c "'$REDIS_CLI' -p $SENTINEL_PORT sentinel replicas resetkit | grep -q $REPLICA_PORT"
    echo "redis-sentinel: master 127.0.0.1:$MASTER_PORT, replica :$REPLICA_PORT," \
        "sentinel :$SENTINEL_PORT (service \"resetkit\")"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) die "usage: $0 start|stop" ;;
esac
