# The machinery behind .ci/run: run a step with a time limit, run make targets side by side,
# make sure the system packages and services are there, and print the summary. .ci/run
# sources this file and is, itself, only the list of steps.

export CI=true
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PIP_PROGRESS_BAR=off
export PYTHONUNBUFFERED=1

LOG_DIR=.ci/logs
STEP_TIMEOUT=${STEP_TIMEOUT:-1500}
SERVICE_WAIT=${SERVICE_WAIT:-30}
SELECTED=("$@")  # step names given on the command line; none: every step

RESULT_LABELS=()
RESULT_CODES=()
RESULT_SECONDS=()
RESULT_LOGS=()
RUNNING=()

if ((BASH_VERSINFO[0] < 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] < 1))); then
    echo "$0 needs bash >= 5.1 (this is $BASH_VERSION)" >&2
    exit 2
fi

banner() { printf '\n==> %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }

record() {  # record LABEL EXIT-CODE SECONDS [LOG]
    RESULT_LABELS+=("$1")
    RESULT_CODES+=("$2")
    RESULT_SECONDS+=("$3")
    RESULT_LOGS+=("${4:-}")
}

forget() {  # forget PID: no longer running
    local keep=() pid
    for pid in "${RUNNING[@]}"; do [[ $pid == "$1" ]] || keep+=("$pid"); done
    RUNNING=("${keep[@]}")
}

on_signal() {
    echo "interrupted: stopping running jobs" >&2
    local pid
    for pid in "${RUNNING[@]}"; do
        # `timeout` leads its own process group: stop the command and all its children.
        kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    done
    exit 130
}
trap on_signal INT TERM

selected() {  # selected NAME: whether this run includes the step NAME
    ((${#SELECTED[@]} == 0)) && return 0
    local name
    for name in "${SELECTED[@]}"; do [[ $name == "$1" ]] && return 0; done
    return 1
}

limited() {  # limited CMD...: CMD in its own process group, stopped after STEP_TIMEOUT
    # Started in the background and awaited, so that an interrupt reaches the trap at once.
    timeout --kill-after=30 "$STEP_TIMEOUT" "$@" &
    local pid=$! rc=0
    RUNNING+=("$pid")
    wait "$pid" || rc=$?
    forget "$pid"
    ((rc == 124)) && echo "timed out after ${STEP_TIMEOUT}s: $*" >&2
    return "$rc"
}

step() {  # step NAME CMD...: run CMD (if NAME is selected), show its output, record the result
    local name=$1 start=$SECONDS rc=0
    shift
    selected "$name" || return 0
    banner "$name: $*"
    if [[ $(type -t "$1") == function ]]; then
        "$@" || rc=$?  # a step of this file (packages, services): quick, no time limit
    else
        limited "$@" || rc=$?
    fi
    record "$name" "$rc" "$((SECONDS - start))"
}

parallel() {  # parallel NAME TARGET...: make TARGETs side by side, logs in $LOG_DIR
    local name=$1
    shift
    selected "$name" || return 0
    mkdir -p "$LOG_DIR"
    local -A label_of=() log_of=() start_of=()
    local target pid pids=()
    banner "$name, in parallel: ${*/#/make } (logs in $LOG_DIR/)"
    for target in "$@"; do
        timeout --kill-after=30 "$STEP_TIMEOUT" make "$target" >"$LOG_DIR/$target.log" 2>&1 &
        pid=$!
        RUNNING+=("$pid")
        pids+=("$pid")
        label_of[$pid]="make $target"
        log_of[$pid]="$LOG_DIR/$target.log"
        start_of[$pid]=$SECONDS
    done
    local pending=("${pids[@]}") done_pid rc keep
    while ((${#pending[@]})); do
        rc=0
        done_pid=
        wait -n -p done_pid "${pending[@]}" || rc=$?
        [[ -n $done_pid ]] || break
        forget "$done_pid"
        keep=()
        for pid in "${pending[@]}"; do [[ $pid == "$done_pid" ]] || keep+=("$pid"); done
        pending=("${keep[@]}")
        echo "finished: ${label_of[$done_pid]} (exit $rc, $((SECONDS - start_of[$done_pid]))s)"
        record "${label_of[$done_pid]}" "$rc" "$((SECONDS - start_of[$done_pid]))" \
            "${log_of[$done_pid]}"
    done
    for pid in "${pids[@]}"; do
        banner "log of ${label_of[$pid]} (${log_of[$pid]})"
        cat "${log_of[$pid]}"
    done
}

as_root() {
    if ((EUID == 0)); then "$@"; elif have sudo; then sudo "$@"; else
        echo "needs root for: $*" >&2
        return 1
    fi
}

ensure_system_packages() {  # ensure_system_packages PKG...: apt-get install what is missing
    if ! have dpkg-query; then
        echo "not a Debian system: install $* (or their equivalents) yourself"
        return 0
    fi
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' ||
            missing+=("$pkg")
    done
    ((${#missing[@]})) || { echo "already installed: $*"; return 0; }
    echo "installing: ${missing[*]}"
    as_root apt-get update -qq || return
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

tcp_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

service_answers() {  # service_answers NAME: the server accepts and answers a connection
    case $1 in
    postgresql)
        if have pg_isready; then pg_isready -q -h 127.0.0.1 -p 5432; else tcp_open 5432; fi ;;
    mariadb)
        # `mariadb-admin ping` succeeds as soon as the server answers, even if access is denied.
        if have mariadb-admin; then
            mariadb-admin --host=127.0.0.1 --port=3306 --user=root --connect-timeout=2 \
                ping >/dev/null 2>&1
        else tcp_open 3306; fi ;;
    redis)
        if have redis-cli; then
            [[ $(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null) == PONG ]]
        else tcp_open 6379; fi ;;
    esac
}

start_service() {  # start_service NAME
    case $1 in
    postgresql)
        local version
        version=$(find /etc/postgresql -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1)
        as_root install -d -o postgres -g postgres -m 2775 /var/run/postgresql
        as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start ;;
    mariadb)
        as_root install -d -o mysql -g mysql /run/mysqld
        as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd ;;
    redis)
        as_root mkdir -p /var/lib/redis /var/log/redis
        as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 \
            --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log ;;
    esac
}

ensure_services() {  # ensure_services NAME...: start what does not answer, wait for it
    local name pending=() still
    for name in "$@"; do
        if service_answers "$name"; then echo "$name: up"; else
            echo "$name: not answering, starting it"
            start_service "$name" || echo "$name: start command failed" >&2
            pending+=("$name")
        fi
    done
    local deadline=$((SECONDS + SERVICE_WAIT))
    while ((${#pending[@]})); do
        still=()
        for name in "${pending[@]}"; do
            if service_answers "$name"; then echo "$name: up"; else still+=("$name"); fi
        done
        pending=("${still[@]}")
        if ((${#pending[@]} && SECONDS >= deadline)); then
            echo "not answering after ${SERVICE_WAIT}s: ${pending[*]}" >&2
            return 1
        fi
        ((${#pending[@]} == 0)) || sleep 1
    done
}

start() {
    banner "django-resetkit CI"
    echo "repository: $(pwd) at $(git rev-parse --short HEAD 2>/dev/null || echo 'no commit')"
    echo "python3:    $(python3 --version 2>&1) ($(command -v python3))"
    echo "cpus:       $(nproc)"
    echo "steps:      ${SELECTED[*]:-all}"
}

finish() {  # the summary; the exit status is non-zero if any step failed
    local i failed=0 status
    banner "Summary"
    for i in "${!RESULT_LABELS[@]}"; do
        case ${RESULT_CODES[i]} in
        0) status="ok" ;;
        124) status="TIMEOUT" ;;
        *) status="FAILED (exit ${RESULT_CODES[i]})" ;;
        esac
        ((RESULT_CODES[i] == 0)) || failed=$((failed + 1))
        printf '  %-28s %-18s %5ss  %s\n' "${RESULT_LABELS[i]}" "$status" \
            "${RESULT_SECONDS[i]}" "${RESULT_LOGS[i]}"
    done
    echo
    if ((${#RESULT_LABELS[@]} == 0)); then
        echo "CI FAILED: no step matched: ${SELECTED[*]}"
        return 1
    elif ((failed)); then
        echo "CI FAILED: $failed of ${#RESULT_LABELS[@]} steps failed (total ${SECONDS}s)"
        return 1
    fi
    echo "CI passed: ${#RESULT_LABELS[@]} steps ok (total ${SECONDS}s)"
}
