#!/usr/bin/env bash
# A throwaway Redis Cluster on loopback for the Redis token store's tests.
#
#   .ci/redis-cluster.sh start   three masters on 127.0.0.1:7000-7002 (no replicas), data in a
#                                temporary directory; returns once the cluster says
#                                cluster_state:ok
#   .ci/redis-cluster.sh stop    stop them and remove the directory
#
# Environment: REDIS_SERVER (default /usr/bin/redis-server), REDIS_CLI (default
# /usr/bin/redis-cli), CLUSTER_PORTS (default "7000 7001 7002"), CLUSTER_DIR (default
# ${TMPDIR:-/tmp}/resetkit-redis-cluster), CLUSTER_WAIT (seconds, default 30).

set -euo pipefail

REDIS_SERVER=${REDIS_SERVER:-/usr/bin/redis-server}
REDIS_CLI=${REDIS_CLI:-/usr/bin/redis-cli}
CLUSTER_PORTS=${CLUSTER_PORTS:-7000 7001 7002}
CLUSTER_DIR=${CLUSTER_DIR:-${TMPDIR:-/tmp}/resetkit-redis-cluster}
CLUSTER_WAIT=${CLUSTER_WAIT:-30}

die() { echo "redis-cluster: $*" >&2; exit 1; }

cli() { "$REDIS_CLI" -h 127.0.0.1 -p "$1" "${@:2}"; }

stop() {
    local port pidfile
    for port in $CLUSTER_PORTS; do
        pidfile="$CLUSTER_DIR/$port/redis.pid"
        if [ -f "$pidfile" ]; then
            # The pid this script started, never a broad name.
            kill "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null || true
        fi
    done
    for port in $CLUSTER_PORTS; do
        pidfile="$CLUSTER_DIR/$port/redis.pid"
        for _ in $(seq 50); do
            [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile" 2>/dev/null)" 2>/dev/null || break
            sleep 0.1
        done
    done
    rm -rf "$CLUSTER_DIR"
}

start() {
    [ -x "$REDIS_SERVER" ] || die "needs $REDIS_SERVER (Debian's redis-server package)"
    [ -x "$REDIS_CLI" ] || die "needs $REDIS_CLI (Debian's redis-tools package)"
    stop  # a cluster left by an earlier run
    local port nodes=()
    for port in $CLUSTER_PORTS; do
        mkdir -p "$CLUSTER_DIR/$port"
        "$REDIS_SERVER" --port "$port" --bind 127.0.0.1 --protected-mode yes \
            --cluster-enabled yes --cluster-config-file "$CLUSTER_DIR/$port/nodes.conf" \
            --cluster-node-timeout 5000 --dir "$CLUSTER_DIR/$port" \
            --save "" --appendonly no --daemonize yes \
            --pidfile "$CLUSTER_DIR/$port/redis.pid" --logfile "$CLUSTER_DIR/$port/redis.log"
        nodes+=("127.0.0.1:$port")
    done
    for port in $CLUSTER_PORTS; do
        for _ in $(seq $((CLUSTER_WAIT * 10))); do
            cli "$port" ping >/dev/null 2>&1 && break
            sleep 0.1
        done
        cli "$port" ping >/dev/null 2>&1 || die "node $port did not start (see $CLUSTER_DIR/$port/redis.log)"
    done
    "$REDIS_CLI" --cluster create "${nodes[@]}" --cluster-replicas 0 --cluster-yes >/dev/null \
        || die "redis-cli --cluster create failed"
    for port in $CLUSTER_PORTS; do
        for _ in $(seq $((CLUSTER_WAIT * 10))); do
            cli "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok' && break
            sleep 0.1
        done
        cli "$port" cluster info | grep -q '^cluster_state:ok' \
            || die "node $port: cluster_state is not ok after ${CLUSTER_WAIT}s"
    done
    echo "redis-cluster: up on ${nodes[*]}"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) die "usage: $0 start|stop" ;;
esac
