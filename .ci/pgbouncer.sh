#!/usr/bin/env bash
# PgBouncer in transaction mode in front of the local PostgreSQL, for `make test-pgbouncer`.
#
#   .ci/pgbouncer.sh start    start it on 127.0.0.1:6432 and wait until it answers
#   .ci/pgbouncer.sh stop     stop it (and remove its directory)
#
# Debian's pgbouncer package, run from a configuration of its own in a scratch directory, never
# the system service. PgBouncer refuses to run as root, so it runs as the postgres user. Every
# database name is passed through to PostgreSQL (127.0.0.1:5432, trust), so Django's test
# runner can create and drop its test databases through it. Environment: PGBOUNCER_PORT
# (6432), PGBOUNCER_UPSTREAM_PORT (5432), PGBOUNCER_USER (postgres), PGBOUNCER_WAIT (seconds,
# 20).

set -euo pipefail

PORT="${PGBOUNCER_PORT:-6432}"
UPSTREAM_PORT="${PGBOUNCER_UPSTREAM_PORT:-5432}"
RUN_AS="${PGBOUNCER_USER:-postgres}"
WAIT="${PGBOUNCER_WAIT:-20}"
DIR="${TMPDIR:-/tmp}/resetkit-pgbouncer-${PORT}"
PIDFILE="${DIR}/pgbouncer.pid"

die() {
    echo "pgbouncer.sh: $*" >&2
    exit 1
}

as_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "${RUN_AS}" -- "$@"
    else
        "$@"
    fi
}

running_pid() {
    [ -f "${PIDFILE}" ] || return 1
    local pid
    pid="$(cat "${PIDFILE}")"
    [ -n "${pid}" ] && kill -0 "${pid}" 2>/dev/null && echo "${pid}"
}

answers() {
    # The admin console answers only once PgBouncer accepts clients.
    as_user psql -X -q -h 127.0.0.1 -p "${PORT}" -U "${RUN_AS}" -d pgbouncer -c "SHOW VERSION" \
        >/dev/null 2>&1
}

start() {
    command -v pgbouncer >/dev/null || PATH="${PATH}:/usr/sbin"
    command -v pgbouncer >/dev/null || die "pgbouncer is not installed (apt-get install pgbouncer)"
    if running_pid >/dev/null; then
        die "already running (pid $(cat "${PIDFILE}")); run: $0 stop"
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/${PORT}") 2>/dev/null; then
        die "127.0.0.1:${PORT} is taken (the system's pgbouncer service? systemctl stop pgbouncer, or set PGBOUNCER_PORT)"
    fi
    rm -rf "${DIR}"
    mkdir -p "${DIR}"
    cat >"${DIR}/userlist.txt" <<EOF
"${RUN_AS}" ""
EOF
    cat >"${DIR}/pgbouncer.ini" <<EOF
[databases]
* = host=127.0.0.1 port=${UPSTREAM_PORT}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = ${PORT}
unix_socket_dir =
auth_type = trust
auth_file = ${DIR}/userlist.txt
admin_users = ${RUN_AS}
pool_mode = transaction
max_client_conn = 200
default_pool_size = 20
; Sent by psycopg and Django; PgBouncer would refuse a client that sends them otherwise.
ignore_startup_parameters = extra_float_digits,options
; A server connection left idle goes soon, so that a test database can be dropped.
server_idle_timeout = 1
logfile = ${DIR}/pgbouncer.log
pidfile = ${PIDFILE}
EOF
    if [ "$(id -u)" -eq 0 ]; then
        chown -R "${RUN_AS}" "${DIR}"
    fi
    as_user pgbouncer -d -q "${DIR}/pgbouncer.ini" || die "could not start; see ${DIR}/pgbouncer.log"
    local waited=0
    until running_pid >/dev/null && answers; do
        if [ "${waited}" -ge "$((WAIT * 5))" ]; then
            cat "${DIR}/pgbouncer.log" >&2 || true
            stop
            die "not answering on 127.0.0.1:${PORT} after ${WAIT}s"
        fi
        sleep 0.2
        waited=$((waited + 1))
    done
    echo "pgbouncer: transaction pooling on 127.0.0.1:${PORT} -> 127.0.0.1:${UPSTREAM_PORT} (pid $(cat "${PIDFILE}"))"
}

stop() {
    local pid
    if pid="$(running_pid)"; then
        kill -TERM "${pid}"
        for _ in $(seq 50); do
            kill -0 "${pid}" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "${pid}" 2>/dev/null; then
            kill -KILL "${pid}"
        fi
    fi
    rm -rf "${DIR}"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*) die "usage: $0 start|stop" ;;
esac
