"""Throughput and CPU cost through a real server: gunicorn, driven by wrk, on loopback only.

Each contender gets its own gunicorn (sync workers) on a free 127.0.0.1 port and its own
database: upstream, and resetkit once per issue executor (``threads``: the default pool in each
gunicorn worker; ``tasks``: django-tasks-db, with a real ``db_worker`` process running beside
gunicorn on the same database; ``tasks-rq``: django-tasks-rq, the queue in Redis, with
``rqworker`` forking a process per job as RQ does by default; ``tasks-rq-simple``: the same
with RQ's ``SimpleWorker``, every job in the worker's own process). Rounds interleave the
contenders, rotating who goes first, so slow phases of a shared machine fall on all of them;
ratios are taken per round, and the median of those ratios is what to read. wrk runs for a
fixed time per round and stops by itself.

The request endpoint is measured the way a deployment meets it: every request names an account
that exists and has never asked before (no account repeats, within a round or across rounds),
the per-account budgets are cleared before each round, and after each round the issued tokens
are counted, so that "tokens issued per request" shows that every request did its work.
resetkit answers before it issues: with the thread executor the work runs on the worker's
pool threads and may still be queued when wrk stops; with the task executor it runs on the task
worker. So a round's CPU window stays open after wrk stops until that work is done (no task
waiting or running, the token count has stopped growing), and the cost is reported per issued
token, summed over every process involved: the gunicorn master and workers (pool threads
included), the task worker (the job processes it forks included), PostgreSQL and Redis. The
request rate of a round is the web tier's (requests answered per second while wrk ran); for the
task executor the worker is paused meanwhile, as if it ran on a machine of its own, and works
off the queue in the drain. The sustained rate is the tokens issued per second over the round
and its drain: what one machine running everything keeps up with for the thread executor, and
about the one task worker's own rate for the task executor (it waited during the round).

Throughput moves with whatever else the machine is doing; the CPU time each request costs moves
much less.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from benchmarks.support import (
    BenchmarkError as BenchError,
)
from benchmarks.support import (
    Database as ScratchDatabase,
)
from benchmarks.support import (
    background,
    delete_redis_keys,
    free_port,
    gunicorn_argv,
    log,
)

if TYPE_CHECKING:
    from benchmarks.run import Target

REQUEST_LUA = """\
local counter, users, first
function init(args)
  counter = tonumber(args[1]); users = tonumber(args[2]); first = tonumber(args[3])
end
request = function()
  local n = first + (counter % users)
  counter = counter + 1
  local body = '{"email": "user' .. n .. '@example.com"}'
  return wrk.format("POST", "/api/password_reset/", {["Content-Type"] = "application/json"}, body)
end
"""

VALIDATE_LUA = """\
local keys = {%s}
local counter = 0
request = function()
  counter = counter + 1
  local body = '{"token": "' .. keys[(counter %% #keys) + 1] .. '"}'
  return wrk.format("POST", "/api/password_reset/validate_token/",
                    {["Content-Type"] = "application/json"}, body)
end
"""


@contextlib.contextmanager
def server(name: str, target: Target, workers: int) -> Any:
    """gunicorn (sync workers) serving one target on a free port; yields (pid, log, url)."""
    port = free_port()
    argv = gunicorn_argv(
        "benchsite.wsgi:application", port, workers=workers, python=str(target.python),
        preload=False,
    )  # fmt: skip
    with background(argv, env=target.env(), name=f"gunicorn-{name}") as (pid, log_path):
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise BenchError(f"gunicorn for {target.label} did not start") from None
                time.sleep(0.2)
        yield pid, log_path, f"http://127.0.0.1:{port}"


#: The task executors (``BENCH_EXECUTOR``) whose work runs on a task worker, and the worker's
#: task backend.
TASK_BACKENDS = {"tasks": "database", "tasks-rq": "rq", "tasks-rq-simple": "rq"}


def task_queue(target: Target) -> str:
    """The task queue a target's request view enqueues on (``BENCH_TASK_QUEUE``)."""
    return target.env().get("BENCH_TASK_QUEUE", "default")


def task_worker(name: str, target: Target) -> Any:
    """The task worker of one target: django-tasks-db's ``db_worker`` (``tasks``), or RQ's
    ``rqworker`` (``tasks-rq``: a new process forked per job, RQ's default;
    ``tasks-rq-simple``: RQ's ``SimpleWorker``, every job in the worker's own process)."""
    executor = executor_of(target) or "tasks"
    python, queue = str(target.python), task_queue(target)
    if TASK_BACKENDS.get(executor) == "rq":
        argv = [
            python, "-m", "django", "rqworker", queue, "--job-class", "django_tasks_rq.Job",
            "--name", f"bench-{name}", "--verbosity", "0",
        ]  # fmt: skip
        if executor == "tasks-rq-simple":
            argv += ["--worker-class", "rq.SimpleWorker"]
        return background(argv, env=target.env(), name=f"rqworker-{name}")
    argv = [
        python, "-m", "django", "db_worker", "--queue-name", queue,
        "--no-startup-delay", "--no-reload", "--verbosity", "0",
    ]  # fmt: skip
    return background(argv, env=target.env(), name=f"db_worker-{name}")


@dataclass
class WrkResult:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    #: CPU microseconds per request, by process group (``CpuMeter.GROUPS``); empty when
    #: ``/proc`` cannot be read.
    cpu_us: dict[str, float] = field(default_factory=dict)
    #: Request rounds only: tokens issued during the round and its drain, the drain's length,
    #: whether it finished in time, jobs the thread executor dropped (its log's warnings), and
    #: CPU microseconds per issued token by group.
    issued: int | None = None
    drain_s: float = 0.0
    drained: bool = True
    dropped: int = 0
    cpu_per_token_us: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    #: Request rounds only: CPU microseconds per request answered while wrk ran, by group. With
    #: the task executor the worker waits meanwhile, so this is the web tier's own cost (the
    #: enqueue included); upstream and the thread executor do all their work in it.
    web_cpu_us: dict[str, float] = field(default_factory=dict)

    @property
    def tokens_per_request(self) -> float | None:
        return None if self.issued is None or not self.requests else self.issued / self.requests

    @property
    def sustained_rps(self) -> float | None:
        """Tokens issued per second over the round and the drain after it."""
        if self.issued is None or self.seconds <= 0:
            return None
        return self.issued / (self.seconds + self.drain_s)


class CpuMeter:
    """CPU time of every process a request involves, over a window, by group.

    Groups: ``server`` (one gunicorn's master and workers, their issue threads included),
    ``worker`` (a task worker's process tree), ``postgres`` (every PostgreSQL process, its
    background ones included: the WAL and autovacuum work a request causes is part of its cost)
    and ``redis`` (``redis-server``). Read from ``/proc/<pid>/stat`` (user + system time of each
    process, all its threads): Linux only. A process born during the window counts from zero.
    In the ``server`` and ``worker`` trees, one that exits during it is counted through its
    parent once reaped (the parent's ``cutime`` and ``cstime``: the job processes RQ's worker
    forks), less what it had spent before the window. A PostgreSQL session that ends during
    the window is lost: the postmaster reaps the sessions of every database on the machine, so
    its children's time cannot be told apart. Persistent connections (``CONN_MAX_AGE``) keep
    that loss away, except for RQ's forking worker, which opens a session per job: its
    ``postgres`` figure leaves those sessions out.
    """

    GROUPS = ("server", "worker", "postgres", "redis")
    #: The groups that are one process tree of ours, whose exited processes their parent reaps.
    TREES = ("server", "worker")
    _TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    #: A client session's process title: ``postgres: [cluster: ]user database host(port) ...``.
    _SESSION = re.compile(r"postgres: (?:\S+: )?\S+ (\S+) (?:\S+\(\d+\)|\[local\])")

    def __init__(
        self, server_pid: int, worker_pid: int | None = None, *, database: str | None = None
    ) -> None:
        self.server_pid = server_pid
        self.worker_pid = worker_pid
        #: With a name, the sessions of other databases (whatever else the machine runs) are
        #: left out of ``postgres``; its background processes stay in.
        self.database = database
        self.start = self._sample()

    def _other_session(self, pid: int) -> bool:
        """Whether ``pid`` is a PostgreSQL session on a database other than ``database``."""
        if self.database is None:
            return False
        try:
            title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, UnicodeDecodeError):
            return False
        match = self._SESSION.match(title)
        return match is not None and match.group(1) != self.database

    def _sample(self) -> dict[int, tuple[str, float, float]] | None:
        """``{pid: (group, CPU seconds, CPU seconds of reaped children)}`` of the processes of
        every group."""
        proc = Path("/proc")
        if not (proc / str(self.server_pid) / "stat").exists():
            return None
        # pid: (name, ppid, seconds of its own, seconds of its reaped children)
        found: dict[int, tuple[str, int, float, float]] = {}
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone, or not ours to read
                continue
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()
            ticks = int(fields[11]) + int(fields[12])
            reaped = int(fields[13]) + int(fields[14])
            found[int(entry.name)] = (name, int(fields[1]), ticks / self._TICK, reaped / self._TICK)
        roots = {self.server_pid: "server"}
        if self.worker_pid is not None:
            roots[self.worker_pid] = "worker"
        sample: dict[int, tuple[str, float, float]] = {}
        for pid, (name, _ppid, seconds, reaped) in found.items():
            group = self._tree(pid, found, roots)
            if group is None and name.startswith("postgres") and not self._other_session(pid):
                group = "postgres"
            elif group is None and name.startswith("redis-server"):
                group = "redis"
            if group is not None:
                sample[pid] = (group, seconds, reaped)
        return sample

    @staticmethod
    def _tree(
        pid: int, found: dict[int, tuple[str, int, float, float]], roots: dict[int, str]
    ) -> str | None:
        """The group of the root ``pid`` descends from, if any."""
        seen = 0
        while pid in found and seen < 64:
            if pid in roots:
                return roots[pid]
            pid = found[pid][1]
            seen += 1
        return None

    def seconds(self) -> dict[str, float]:
        """CPU seconds since the meter was made, by group; empty if ``/proc`` is unreadable."""
        end = self._sample()
        if self.start is None or end is None:
            return {}
        spent = dict.fromkeys(self.GROUPS, 0.0)
        for pid, (group, seconds, reaped) in end.items():
            before = self.start.get(pid)
            if before and before[0] == group:
                seconds, reaped = seconds - before[1], reaped - before[2]
            spent[group] += seconds + (reaped if group in self.TREES else 0.0)
        for pid, (group, seconds, _reaped) in self.start.items():
            if pid not in end and group in self.TREES:  # its parent's reaped time has it all
                spent[group] -= seconds
        return spent

    def per_request(self, requests: int) -> dict[str, float]:
        """Microseconds of CPU per request since the meter was made, by group."""
        spent = self.seconds()
        if not spent or requests <= 0:
            return {}
        return {group: value / requests * 1e6 for group, value in spent.items()}


class Database:
    """The counts a request round is checked with, read over one persistent connection.

    Tokens are only ever inserted during the benchmark (none expires), so the issued tokens are
    the rows above the highest id before the round: an index range, cheap enough to poll
    while the drain's CPU is being metered. The task queue is read where its backend keeps
    it: django-tasks-db's table (``tasks=True``), or RQ's lists and registries in Redis
    (``backend="rq"``, the queue ``queue`` on ``redis_url``).
    """

    TOKEN_TABLES = {
        "upstream": "django_rest_passwordreset_resetpasswordtoken",
        "resetkit": "resetkit_resetpasswordtoken",
    }
    TASK_TABLE = "django_tasks_database_dbtaskresult"

    def __init__(
        self,
        target: Target,
        tasks: bool,
        *,
        backend: str = "database",
        queue: str = "default",
        redis_url: str | None = None,
    ) -> None:
        self.table = self.TOKEN_TABLES[target.impl]
        self.tasks = tasks
        self.backend = backend
        self.queue = queue
        self.conn = ScratchDatabase("postgres", target.db_name).connect()
        self.redis: Any = None
        if tasks and backend == "rq":
            import redis

            self.redis = redis.Redis.from_url(redis_url or target.env()["BENCH_REDIS_URL"])

    def _one(self, sql: str, *params: Any) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    def max_token_id(self) -> int:
        return int(self._one(f"SELECT COALESCE(max(id), 0) FROM {self.table}"))

    def tokens_above(self, token_id: int) -> int:
        return int(self._one(f"SELECT count(*) FROM {self.table} WHERE id > %s", token_id))

    def ready_tasks(self) -> bool:
        """Whether a task waits (its partial index answers without reading the table)."""
        if not self.tasks:
            return False
        if self.redis is not None:
            return bool(self.redis.llen(f"rq:queue:{self.queue}"))
        sql = f"SELECT EXISTS (SELECT 1 FROM {self.TASK_TABLE} WHERE status = 'READY')"
        return bool(self._one(sql))

    #: RQ's registries of a queue, by the status django-tasks reports for their jobs.
    RQ_REGISTRIES = {"RUNNING": "wip", "SUCCESSFUL": "finished", "FAILED": "failed"}

    def task_counts(self) -> dict[str, int]:
        if not self.tasks:
            return {}
        if self.redis is not None:
            counts = {"READY": int(self.redis.llen(f"rq:queue:{self.queue}"))}
            for status, registry in self.RQ_REGISTRIES.items():
                counts[status] = int(self.redis.zcard(f"rq:{registry}:{self.queue}"))
            return {status: count for status, count in counts.items() if count}
        rows = self.conn.execute(
            f"SELECT status, count(*) FROM {self.TASK_TABLE} GROUP BY status"
        ).fetchall()
        return {str(status): int(count) for status, count in rows}

    def drain(self, timeout: float) -> tuple[float, bool]:
        """Wait until the deferred work is done: no task waiting or running, and the token
        count unchanged for 0.6 s. Return (seconds until the last token appeared, finished)."""
        started = time.monotonic()
        last, changed = self.max_token_id(), started
        while True:
            time.sleep(0.2)
            now = time.monotonic()
            current = self.max_token_id()
            if current != last or self.ready_tasks():
                last, changed = current, now
            elif now - changed >= 0.6 and not self.task_counts().get("RUNNING"):
                return changed - started, True
            if now - started > timeout:
                return now - started, False

    def clear_queue(self) -> None:
        """Delete RQ's keys of this queue: its jobs (RQ keeps finished ones for 500 s, failed
        ones for a year), its list and its registries. Nothing for django-tasks-db, whose
        table goes with the database."""
        if self.redis is None:
            return
        registries = [f"rq:{name}:{self.queue}" for name in ("finished", "failed", "wip")]
        for registry in registries:
            for job_id in self.redis.zrange(registry, 0, -1):
                job = job_id.decode()
                self.redis.delete(f"rq:job:{job}", f"rq:results:{job}")
        for job_id in self.redis.lrange(f"rq:queue:{self.queue}", 0, -1):
            self.redis.delete(f"rq:job:{job_id.decode()}")
        self.redis.delete(f"rq:queue:{self.queue}", *registries)
        self.redis.srem("rq:queues", f"rq:queue:{self.queue}")

    def close(self) -> None:
        self.conn.close()
        if self.redis is not None:
            self.clear_queue()
            self.redis.close()


def clear_budgets(target: Target) -> None:
    """Delete the site's keys in Redis (the per-account budgets), as the agent's setup does."""
    env = target.env()
    prefix = env.get("BENCH_KEY_PREFIX")
    if prefix is None:
        prefix = f"bench-{target.impl}-{target.db_name.rsplit('/', 1)[-1]}"
    delete_redis_keys(env["BENCH_REDIS_URL"], prefix)


def count_dropped(log_path: Path) -> int:
    try:
        return log_path.read_text(errors="replace").count("the issue queue is full")
    except OSError:
        return 0


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if not match:
        raise BenchError(f"cannot read wrk latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(url: str, script: Path, seconds: float, connections: int, *args: str) -> WrkResult:
    if shutil.which("wrk") is None:
        raise BenchError("wrk is not installed (Debian: apt-get install wrk)")
    command = [
        "wrk",
        "--threads",
        "1",
        "--connections",
        str(connections),
        "--duration",
        f"{seconds:g}s",
        "--timeout",
        "10s",
        "--latency",
        "--script",
        str(script),
        url,
    ]
    if args:
        command += ["--", *args]
    output = subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 60, check=True
    ).stdout
    total = re.search(r"(\d+) requests in", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE)
    if not (total and rps and p50 and p99):
        raise BenchError(f"cannot read wrk output:\n{output}")
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1)))
    return WrkResult(
        int(total.group(1)), float(rps.group(1)), _ms(p50.group(1)), _ms(p99.group(1)), errors
    )


def executor_of(target: Target) -> str | None:
    """The issue executor a resetkit target runs (``threads``, ``tasks``, ``tasks-rq``,
    ``tasks-rq-simple``: :data:`TASK_BACKENDS`); None for upstream."""
    if target.impl != "resetkit":
        return None
    return (target.extra_env or {}).get("BENCH_EXECUTOR", "threads")


def measure(
    targets: dict[str, Target],
    keys: list[str],
    users: int,
    first_request_user: int,
    rounds: int,
    seconds: float,
    connections: int,
    workers: int,
    drain_timeout: float = 180.0,
) -> dict[str, Any]:
    """Interleaved rounds of validate (upstream and ``resetkit``) and of request (every
    contender: upstream, ``resetkit`` with threads, each ``resetkit_tasks*`` with its task
    worker)."""
    work = Path(tempfile.mkdtemp(prefix="bench-perf-load-"))
    validate_lua = work / "validate.lua"
    validate_lua.write_text(VALIDATE_LUA % ", ".join(f'"{key}"' for key in keys))
    request_lua = work / "request.lua"
    request_lua.write_text(REQUEST_LUA)
    results: dict[str, Any] = {}
    fresh_accounts = users - first_request_user + 1
    offsets = dict.fromkeys(targets, 0)
    stack = contextlib.ExitStack()
    servers = {
        name: stack.enter_context(server(name, target, workers)) for name, target in targets.items()
    }
    task_workers = {
        name: stack.enter_context(task_worker(name, target)).pid
        for name, target in targets.items()
        if executor_of(target) in TASK_BACKENDS
    }
    databases = {
        name: Database(
            target,
            tasks=name in task_workers,
            backend=TASK_BACKENDS.get(executor_of(target) or "", "database"),
            queue=task_queue(target),
        )
        for name, target in targets.items()
    }
    try:
        for endpoint, names in (
            ("validate", ["upstream", "resetkit"]),
            ("request", list(targets)),
        ):
            per_impl: dict[str, list[WrkResult]] = {name: [] for name in names}

            def run(name: str, duration: float, endpoint: str = endpoint) -> WrkResult:
                pid, _, url = servers[name]
                if endpoint == "validate":
                    meter = CpuMeter(pid, database=targets[name].db_name)
                    result = wrk(url, validate_lua, duration, connections)
                    result.cpu_us = meter.per_request(result.requests)
                    return result
                return run_request(name, duration)

            def run_request(name: str, duration: float) -> WrkResult:
                (pid, server_log, url), database = servers[name], databases[name]
                worker_pid = task_workers.get(name)
                clear_budgets(targets[name])
                if offsets[name] + 2 * connections > fresh_accounts:
                    raise BenchError(f"{name} ran out of fresh accounts; seed more users")
                before = database.max_token_id()
                dropped = count_dropped(server_log)
                meter = CpuMeter(pid, worker_pid, database=targets[name].db_name)
                args = (str(offsets[name]), str(fresh_accounts), str(first_request_user))
                # The task worker waits while wrk runs, as on a machine of its own: the request
                # rate is the web tier's alone. It works off the queue in the drain below,
                # inside the CPU window, so the total CPU per token still counts its work.
                if worker_pid is not None:
                    os.kill(worker_pid, signal.SIGSTOP)
                try:
                    result = wrk(url, request_lua, duration, connections, *args)
                    web = meter.seconds()
                finally:
                    if worker_pid is not None:
                        os.kill(worker_pid, signal.SIGCONT)
                # Every request wrk sent took the next account, answered or not.
                offsets[name] += result.requests + connections
                result.drain_s, result.drained = database.drain(drain_timeout)
                spent = meter.seconds()
                result.seconds = duration
                result.issued = database.tokens_above(before)
                result.dropped = count_dropped(server_log) - dropped
                if offsets[name] > fresh_accounts:
                    log(f"warning: {name} asked for some accounts twice (seed more users)")
                if spent and result.requests:
                    result.cpu_us = {g: v / result.requests * 1e6 for g, v in spent.items()}
                if web and result.requests:
                    result.web_cpu_us = {g: v / result.requests * 1e6 for g, v in web.items()}
                if spent and result.issued:
                    result.cpu_per_token_us = {
                        group: value / result.issued * 1e6 for group, value in spent.items()
                    }
                if not result.drained:
                    log(f"warning: {name}'s deferred work did not finish in {drain_timeout:g} s")
                return result

            for name in names:  # warm-up: imports, connections, caches, the first queue
                run(name, 2)
            for number in range(rounds):
                shift = number % len(names)
                order = names[shift:] + names[:shift]
                if number % 2:
                    order.reverse()
                for name in order:
                    result = run(name, seconds)
                    per_impl[name].append(result)
                    log(f"{endpoint} round {number + 1}/{rounds} {name}: {describe(result)}")
            results[endpoint] = summarize(per_impl)
        results["requests_sent"] = offsets
        results["tasks"] = {name: databases[name].task_counts() for name in task_workers}
    finally:
        stack.close()
        for database in databases.values():
            database.close()
        shutil.rmtree(work, ignore_errors=True)
    return results


def describe(result: WrkResult) -> str:
    text = f"{result.rps:.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms"
    if result.issued is None:
        return text + "".join(
            f", {group} {value:.0f} \N{MICRO SIGN}s/req"
            for group, value in result.cpu_us.items()
            if value
        )
    text += (
        f"; {result.issued} tokens for {result.requests} requests "
        f"({result.tokens_per_request or 0:.3f}/req), drain {result.drain_s:.1f} s, "
        f"sustained {result.sustained_rps or 0:.0f} tokens/s"
    )
    if result.dropped:
        text += f", {result.dropped} jobs dropped (queue full)"
    if result.web_cpu_us:
        text += f"; CPU while wrk ran {sum(result.web_cpu_us.values()):.0f} \N{MICRO SIGN}s/req"
    if result.cpu_per_token_us:
        total = sum(result.cpu_per_token_us.values())
        parts = ", ".join(
            f"{group} {value:.0f}" for group, value in result.cpu_per_token_us.items() if value
        )
        text += f"; CPU {total:.0f} \N{MICRO SIGN}s/token ({parts})"
    return text


def _median_groups(runs: list[dict[str, float]]) -> dict[str, float]:
    """Per-group medians, when every run read every group (CpuMeter reads all or none)."""
    if not runs or not all(runs):
        return {}
    return {group: statistics.median(run[group] for run in runs) for group in runs[0]}


def summarize(per_impl: dict[str, list[WrkResult]]) -> dict[str, Any]:
    """Medians per contender, and each resetkit contender's per-round ratios to upstream
    (``ratio`` for ``resetkit``, ``ratios`` for every one)."""
    summary: dict[str, Any] = {}
    for name, runs in per_impl.items():
        entry: dict[str, Any] = {
            "rps": statistics.median(r.rps for r in runs),
            "p50_ms": statistics.median(r.p50_ms for r in runs),
            "p99_ms": statistics.median(r.p99_ms for r in runs),
            "errors": sum(r.errors for r in runs),
            "rounds": [r.rps for r in runs],
            "cpu_us": _median_groups([r.cpu_us for r in runs]),
        }
        if all(r.issued is not None for r in runs):
            requests = sum(r.requests for r in runs)
            issued = sum(r.issued or 0 for r in runs)
            totals = [sum(r.cpu_per_token_us.values()) for r in runs if r.cpu_per_token_us]
            entry.update(
                {
                    "requests": requests,
                    "issued": issued,
                    "tokens_per_request": issued / requests if requests else None,
                    "tokens_per_request_min": min(r.tokens_per_request or 0 for r in runs),
                    "dropped": sum(r.dropped for r in runs),
                    "drain_s": statistics.median(r.drain_s for r in runs),
                    "drain_s_max": max(r.drain_s for r in runs),
                    "drained": all(r.drained for r in runs),
                    "sustained_rps": statistics.median(r.sustained_rps or 0 for r in runs),
                    "cpu_per_token_us": _median_groups([r.cpu_per_token_us for r in runs]),
                    "cpu_per_token_total_us": statistics.median(totals) if totals else None,
                    "cpu_per_token_rounds": totals,
                    "web_cpu_us": _median_groups([r.web_cpu_us for r in runs]),
                    "web_cpu_rounds": [sum(r.web_cpu_us.values()) for r in runs if r.web_cpu_us],
                }
            )
        summary[name] = entry
    up = per_impl["upstream"]
    ratios: dict[str, Any] = {}
    for name, runs in per_impl.items():
        if name == "upstream":
            continue
        pairs = list(zip(up, runs, strict=True))
        rps = [b.rps / a.rps for a, b in pairs]
        ratio: dict[str, Any] = {
            "rps": statistics.median(rps),
            "rps_min": min(rps),
            "rps_max": max(rps),
            "p50": statistics.median(b.p50_ms / a.p50_ms for a, b in pairs),
            "p99": statistics.median(b.p99_ms / a.p99_ms for a, b in pairs),
            "rounds": rps,
        }
        sustained = [
            b.sustained_rps / a.sustained_rps
            for a, b in pairs
            if a.sustained_rps and b.sustained_rps
        ]
        if sustained:
            ratio.update(
                sustained=statistics.median(sustained),
                sustained_min=min(sustained),
                sustained_max=max(sustained),
            )
        cpu = [
            sum(b.cpu_per_token_us.values()) / sum(a.cpu_per_token_us.values())
            for a, b in pairs
            if a.cpu_per_token_us and b.cpu_per_token_us
        ]
        if cpu:
            ratio.update(cpu_per_token=statistics.median(cpu), cpu_min=min(cpu), cpu_max=max(cpu))
        # How many more requests the same CPU answers: upstream's CPU per request while wrk ran
        # over this contender's (the web tier's capacity, for the task executor).
        web = [
            sum(a.web_cpu_us.values()) / sum(b.web_cpu_us.values())
            for a, b in pairs
            if a.web_cpu_us and b.web_cpu_us
        ]
        if web:
            ratio.update(web_capacity=statistics.median(web), web_min=min(web), web_max=max(web))
        ratios[name] = ratio
    summary["ratios"] = ratios
    summary["ratio"] = ratios["resetkit"]
    return summary
