"""resetkit against django-rest-passwordreset 1.6.0, side by side, in one table.

    python benchmarks/run.py                  # everything (about half an hour on 2 cores)
    python benchmarks/run.py --quick          # smaller tables and shorter rounds (minutes)
    python benchmarks/run.py --only queries,redis --no-docs

Sections (``--only``): ``queries`` (database round trips and Redis commands per endpoint, on
SQLite and PostgreSQL), ``redis`` (memory per outstanding token), ``throughput`` (gunicorn +
wrk on PostgreSQL, interleaved rounds; resetkit once per issue executor: threads, and tasks on
django-tasks-db and on RQ (forking and simple worker), with CPU per issued token over every
process involved), ``backlog`` (request latency with a
million expired tokens), ``cleanup`` (the ``clearresetpasswodtokens`` command on a backlog),
``lookup`` (a million users, with and without an index on ``UPPER(email)``).

resetkit runs in this interpreter (``make bench`` installs the ``bench`` extra), the upstream
package in ``.bench/venv-upstream`` (built on first use), both in a throw-away Django project
(``benchmarks/site.py``); it creates and drops its own PostgreSQL databases (``bench_perf_*``)
and uses Redis database 13 (``BENCH_REDIS_URL``).
It talks to 127.0.0.1 only, every load phase has a fixed duration, and it stops by itself.
Results go to ``.bench/results.json``; unless ``--no-docs``, ``docs/performance.md`` and
``docs/img/benchmark-ratios.png`` are rewritten with them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script, too

from benchmarks.site import write_site
from benchmarks.support import (
    BENCH_DIR,
    REPO,
    Database,
    key_for,
    log,
    machine,
    run_json,
    upstream_python,
)
from benchmarks.support import BenchmarkError as BenchError

IMPLS = ("upstream", "resetkit")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")


@dataclass
class Target:
    """One implementation, one store, one database: where the agent and gunicorn run."""

    impl: str
    python: Path
    site: Path
    db_engine: str  # "postgres" or "sqlite"
    db_name: str  # database name, or SQLite file path
    store: str = "orm"
    extra_env: dict[str, str] | None = None

    @property
    def label(self) -> str:
        return self.impl if self.store == "orm" else f"{self.impl} ({self.store} store)"

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "PYTHONPATH": f"{self.site}{os.pathsep}{REPO}",
            "DJANGO_SETTINGS_MODULE": "benchsite.settings",
            "BENCH_IMPL": self.impl,
            "BENCH_STORE": self.store,
            "BENCH_DB": self.db_engine,
            "BENCH_DB_NAME": self.db_name,
            "BENCH_REDIS_URL": REDIS_URL,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.update(self.extra_env or {})
        return env

    def agent(self, *args: str, timeout: float = 1800) -> Any:
        """Run ``benchmarks.agent`` with this target; return its JSON result."""
        argv = [str(self.python), "-m", "benchmarks.agent", *args]
        try:
            return run_json(argv, self.env(), timeout)
        except BenchError as exc:
            raise BenchError(f"{self.label}: {exc}") from None


def create_database(name: str) -> None:
    if not name.startswith("bench_perf_"):
        raise BenchError(f"refusing to touch database {name!r}: not a bench_perf_* name")
    Database("postgres", name).create()


def drop_database(name: str) -> None:
    if name.startswith("bench_perf_"):
        Database("postgres", name).drop()


def pg_log_path() -> Path | None:
    """The server log (Debian writes stderr to /var/log/postgresql/), if readable."""
    with Database("postgres", "postgres").connect() as conn:
        version = conn.execute("SHOW server_version_num").fetchone()
        current = conn.execute("SELECT pg_current_logfile()").fetchone()
        data_dir = conn.execute("SHOW data_directory").fetchone()
    candidates = []
    if current and current[0] and data_dir:
        candidates.append(Path(data_dir[0]) / current[0])
    if version:
        major = int(version[0]) // 10000
        candidates.append(Path(f"/var/log/postgresql/postgresql-{major}-main.log"))
    for path in candidates:
        if path.exists() and os.access(path, os.R_OK):
            return path
    return None


SECTIONS = ("queries", "redis", "throughput", "backlog", "cleanup", "lookup")


class Sizes:
    """How big each experiment is; ``--quick`` divides the tables and rounds."""

    def __init__(self, quick: bool) -> None:
        self.quick = quick
        self.rounds = 3 if quick else 7
        self.seconds = 5.0 if quick else 15.0
        # Every request of the throughput section asks for an account no request asked for
        # before: enough accounts for every round of the fastest contender.
        self.load_users = 40_000 if quick else 150_000
        self.load_tokens = 1_000
        self.backlog_rows = 100_000 if quick else 1_000_000
        self.backlog_reps = 2 if quick else 3
        self.backlog_requests = 30 if quick else 100
        self.cleanup_expired = 100_000 if quick else 1_000_000
        self.cleanup_fresh = 10_000 if quick else 100_000
        self.cleanup_large = 5 * self.cleanup_expired
        self.lookup_users = 100_000 if quick else 1_000_000


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.sizes = Sizes(args.quick)
        self.work = Path(tempfile.mkdtemp(prefix="bench-perf-"))
        self.site = write_site(self.work / "site")
        self.pythons = {"resetkit": Path(sys.executable), "upstream": Path(upstream_python())}
        self.databases: list[str] = []

    def target(self, impl: str, engine: str, name: str, **kwargs: Any) -> Target:
        if engine == "postgres":
            create_database(name)
            self.databases.append(name)
        else:
            name = str(self.work / f"{name}.sqlite3")
        return Target(impl, self.pythons[impl], self.site, engine, name, **kwargs)

    def close(self) -> None:
        for name in self.databases:
            try:
                drop_database(name)
            except Exception as exc:  # keep dropping the others
                log(f"could not drop {name}: {exc}")
        shutil.rmtree(self.work, ignore_errors=True)

    # -- sections ---------------------------------------------------------------------------

    def queries(self) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for engine in ("sqlite", "postgres"):
            for impl, store in (("upstream", "orm"), ("resetkit", "orm"), ("resetkit", "cache")):
                name = f"bench_perf_q_{impl}_{store}"
                target = self.target(impl, engine, name, store=store)
                log(f"queries: {target.label} on {engine}")
                results[f"{engine}/{impl}/{store}"] = target.agent("queries")
        return results

    def throughput(self) -> dict[str, Any]:
        from benchmarks.throughput import measure

        size = self.sizes
        # Upstream, and resetkit once per issue executor, each with its own database; the task
        # executor once per task backend: django-tasks-db (db_worker), django-tasks-rq with
        # rqworker as RQ runs it by default (a process forked per job), and with RQ's
        # SimpleWorker (every job in the worker's own process).
        contenders = {
            "upstream": ("upstream", None),
            "resetkit": ("resetkit", "threads"),
            "resetkit_tasks": ("resetkit", "tasks"),
            "resetkit_tasks_rq": ("resetkit", "tasks-rq"),
            "resetkit_tasks_rq_simple": ("resetkit", "tasks-rq-simple"),
        }
        wanted = self.args.executors.split(",") if self.args.executors else None
        if wanted:
            contenders = {
                name: value
                for name, value in contenders.items()
                if name in ("upstream", "resetkit") or value[1] in wanted
            }
        targets = {}
        for name, (impl, executor) in contenders.items():
            db_name = f"bench_perf_load_{name}"
            extra = {"BENCH_EXECUTOR": executor} if executor else None
            if extra and executor.startswith("tasks-rq"):
                # A queue of its own: every site's RQ queues are in one Redis database.
                extra["BENCH_TASK_QUEUE"] = f"bench-{name}"
            target = self.target(impl, "postgres", db_name, extra_env=extra)
            log(f"throughput: seeding {size.load_users} users for {name}")
            target.agent(
                "setup",
                "--users",
                str(size.load_users),
                "--tokens",
                str(size.load_tokens),
                "--upper-index",
            )
            targets[name] = target
        result = measure(
            targets,
            [key_for(n) for n in range(1, size.load_tokens + 1)],
            users=size.load_users,
            first_request_user=size.load_tokens + 1,
            rounds=size.rounds,
            seconds=size.seconds,
            connections=self.args.connections,
            workers=self.args.workers,
        )
        result["issued"] = {name: target.agent("count") for name, target in targets.items()}
        result["settings"] = {
            "rounds": size.rounds,
            "seconds": size.seconds,
            "connections": self.args.connections,
            "workers": self.args.workers,
            "users": size.load_users,
            "executors": {name: executor for name, (_impl, executor) in contenders.items()},
            "task_workers": 1,
        }
        return result

    def backlog(self) -> dict[str, Any]:
        size = self.sizes
        results = {}
        for impl in IMPLS:
            target = self.target(impl, "postgres", f"bench_perf_backlog_{impl}")
            users = size.backlog_requests * (size.backlog_reps + 2) + 100
            target.agent("setup", "--users", str(users), "--upper-index")
            log(f"backlog: {impl} with {size.backlog_rows} expired tokens")
            results[impl] = target.agent(
                "backlog",
                "--rows",
                str(size.backlog_rows),
                "--reps",
                str(size.backlog_reps),
                "--requests",
                str(size.backlog_requests),
            )
        return results

    def cleanup(self) -> dict[str, Any]:
        size = self.sizes
        log_path = pg_log_path()
        if log_path is None:
            log("cleanup: PostgreSQL's log is not readable; statement times are per batch")
        other = str(self.args.cleanup_batch_size)
        # (label, implementation, expired rows, post_delete receiver, --batch-size); resetkit
        # runs with its default batch size, and once more with --cleanup-batch-size.
        runs: list[tuple[str, str, int, bool, str | None]] = [
            ("upstream", "upstream", size.cleanup_expired, False, None),
            ("resetkit", "resetkit", size.cleanup_expired, False, None),
            ("resetkit_other", "resetkit", size.cleanup_expired, False, other),
            ("resetkit_large", "resetkit", size.cleanup_large, False, None),
            ("resetkit_receiver", "resetkit", size.cleanup_expired, True, None),
            ("upstream_receiver", "upstream", size.cleanup_expired, True, None),
        ]
        results: dict[str, Any] = {"batch_size": self.args.cleanup_batch_size}
        for label, impl, expired, receiver, batch_size in runs:
            name = f"bench_perf_cleanup_{label}"
            extra = {"BENCH_DELETE_RECEIVER": "1"} if receiver else None
            target = self.target(impl, "postgres", name, extra_env=extra)
            target.agent("setup", "--users", "10000")
            log(f"cleanup: {label}: loading {expired} expired + {size.cleanup_fresh} fresh rows")
            target.agent(
                "load",
                "--expired",
                str(expired),
                "--fresh",
                str(size.cleanup_fresh),
                timeout=3600,
            )
            log(f"cleanup: {label}: running clearresetpasswodtokens")
            result = run_cleanup(
                target, name, log_path, batch_size, timeout=self.args.cleanup_timeout
            )
            result["expired"] = expired
            result["fresh_expected"] = size.cleanup_fresh
            if not result.get("timed_out"):
                result["left"] = target.agent("count")
            results[label] = result
            drop_database(name)
        return results

    def lookup(self) -> dict[str, Any]:
        size = self.sizes
        target = self.target("resetkit", "postgres", "bench_perf_lookup")
        log(f"lookup: seeding {size.lookup_users} users")
        target.agent("setup", "--users", str(size.lookup_users), timeout=3600)
        return dict(target.agent("lookup", "--users", str(size.lookup_users), "--requests", "30"))

    def redis(self) -> dict[str, Any]:
        target = self.target(
            "resetkit",
            "sqlite",
            "bench_perf_redis",
            store="cache",
            extra_env={"BENCH_KEY_PREFIX": ""},
        )
        return dict(target.agent("redis-memory"))


def run_cleanup(
    target: Target, database: str, log_path: Path | None, batch_size: str | None, timeout: float
) -> dict[str, Any]:
    """Run the command as a child; its wall time, peak RSS, and its longest statement."""
    env = target.env()
    # Log every statement of this session with its duration (superuser setting, this session
    # only); the lines are told apart by database name.
    env["PGOPTIONS"] = "-c log_min_duration_statement=0"
    offset = log_path.stat().st_size if log_path else 0
    command = [str(target.python), "-m", "django", "clearresetpasswodtokens", "--verbosity", "2"]
    if batch_size is not None:
        command += ["--batch-size", batch_size]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out, stderr=err)
        killer = threading.Timer(timeout, process.kill)
        killer.start()
        try:
            # wait4, not wait: it reports this child's own peak RSS.
            _pid, status, usage = os.wait4(process.pid, 0)
        finally:
            killer.cancel()
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        timed_out = wall >= timeout
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    peak_kib = usage.ru_maxrss
    if process.returncode and not timed_out:
        raise BenchError(f"cleanup for {target.label} failed:\n{stderr.decode()[-3000:]}")
    batches = [float(ms) for ms in re.findall(r"in ([\d.]+) ms\.", stdout.decode(errors="replace"))]
    statements = _statement_durations(log_path, offset, database) if log_path else []
    return {
        "wall_s": wall,
        "peak_rss_mib": peak_kib / 1024 if peak_kib else None,
        "longest_statement_ms": max(statements) if statements else None,
        "statements": len(statements),
        "longest_batch_ms": max(batches) if batches else None,
        "batches": len(batches),
        "timed_out": timed_out,
    }


def _statement_durations(log_path: Path, offset: int, database: str) -> list[float]:
    time.sleep(0.5)  # the server writes its log asynchronously
    with log_path.open("rb") as log_file:
        log_file.seek(offset)
        text = log_file.read().decode(errors="replace")
    pattern = re.compile(rf"@{re.escape(database)} LOG:\s+duration: ([\d.]+) ms")
    return [float(ms) for ms in pattern.findall(text)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller tables, shorter rounds")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/")
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="gunicorn sync workers (default: gunicorn's advice, 2 x cores + 1)",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=None,
        help="wrk connections (default: 2 x workers, so that no worker waits for work)",
    )
    parser.add_argument("--cleanup-timeout", type=float, default=900, help="seconds per run")
    parser.add_argument(
        "--executors",
        default="",
        help="throughput: only these task executors beside upstream and threads "
        "(comma-separated: tasks, tasks-rq, tasks-rq-simple; default: all)",
    )
    parser.add_argument(
        "--results",
        type=Path,
        default=None,
        help="where to write the results (default: .bench/results.json)",
    )
    parser.add_argument(
        "--cleanup-batch-size",
        type=int,
        default=1_000,
        help="resetkit's --batch-size besides its default (CLEANUP_BATCH_SIZE)",
    )
    args = parser.parse_args()
    if args.connections is None:
        args.connections = 2 * args.workers
    sections = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s): {', '.join(sorted(unknown))}")

    started = time.monotonic()
    results: dict[str, Any] = {
        "meta": {
            "command": " ".join(["python benchmarks/run.py", *sys.argv[1:]]),
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "quick": args.quick,
        }
    }
    bench = Bench(args)
    try:
        for section in sections:
            log(f"== {section}")
            results[section] = getattr(bench, section)()
    except BenchError as exc:
        log(f"failed: {exc}")
        return 2
    finally:
        bench.close()
    results["meta"]["seconds"] = round(time.monotonic() - started)

    from benchmarks.report import render_table, write_chart, write_docs

    BENCH_DIR.mkdir(exist_ok=True)
    (args.results or BENCH_DIR / "results.json").write_text(json.dumps(results, indent=2))
    print(render_table(results))
    if not args.no_docs:
        write_chart(results)
        write_docs(results)
        log("wrote docs/performance.md and docs/img/benchmark-ratios.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
