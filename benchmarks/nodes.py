"""resetkit on two app nodes sharing PostgreSQL and Redis, against one node: request, validate
and confirm throughput.

    python -m benchmarks.nodes --quick
    python -m benchmarks.nodes --store redis --workers 6

A node is one gunicorn (sync workers) on its own loopback port; the two-node set-up is two of
them, each with half the workers of the one node, so that both set-ups have the same number of
workers on this one machine. More workers could not add CPU here, only contention, and the
comparison isolates what scaling out costs: every request of a node must find the state the
other node wrote (tokens, budgets) in the shared database and Redis, never in its own memory.
wrk takes one host per run, so the two-node rounds run two wrk processes at once, one per
node, each with half the connections, and add their counts; the one-node rounds run two wrk
processes as well, both on the one node, so that the load generator is the same in both (on
a busy machine a second process also gets a second share of the CPU, and with one wrk process
against two, two nodes looked nearly twice as fast on the same workers).

Both set-ups serve the same site and database the whole time; rounds interleave them, rotating
who goes first, and the ratio two nodes / one node is taken per round, its median reported.
Every request round asks for accounts no request asked for before, and every confirm spends a
token no other request used (each wrk process gets its own slice), so every answer did the full
work. resetkit answers the request before it issues (the thread executor, by default): with
the ORM store, each request round then waits until the token count stops growing and reports
the tokens issued per request and the sustained rate (tokens per second over the round and
that wait).

The scratch PostgreSQL database is ``<--db-prefix>_nodes`` (``bench_nodes``), created and
dropped here; the site's Redis keys (and, with ``--store redis``, the native store's) on
``--redis-url`` are deleted before and after. Quote ratios from one run: absolute rates move
with whatever else the machine does.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script, too

from benchmarks.run import Target
from benchmarks.stores import CONFIRM_LUA, NEW_PASSWORD, SETTINGS_MODULE, TIMES, write_stores_site
from benchmarks.support import (
    BenchmarkError,
    Database,
    delete_redis_keys,
    exit_on,
    exit_on_sigterm,
    key_for,
    log,
    machine,
)
from benchmarks.throughput import REQUEST_LUA, VALIDATE_LUA, WrkResult, clear_budgets, server, wrk
from benchmarks.throughput import Database as TokenCounts

ENDPOINTS = ("request", "validate", "confirm")
SETUPS = ("one", "two")


class Sizes:
    def __init__(self, args: argparse.Namespace) -> None:
        self.rounds = args.rounds or (3 if args.quick else 7)
        self.seconds = args.seconds or (4.0 if args.quick else 10.0)
        self.validate_tokens = 1_000
        # Per wrk process and round: more than one process answers in a round.
        self.slice = args.slice or (2_000 if args.quick else 8_000)
        # Two wrk processes per set-up, two set-ups.
        self.per_round = 4 * self.slice
        self.warm_up = 4 * self.slice

    @property
    def first_confirm(self) -> int:
        return self.validate_tokens + 1

    @property
    def confirm_tokens(self) -> int:
        return self.warm_up + self.rounds * self.per_round

    @property
    def first_request(self) -> int:
        return self.first_confirm + self.confirm_tokens

    @property
    def users(self) -> int:
        return self.first_request + self.warm_up + self.rounds * self.per_round


class Slices:
    """Hands out disjoint ranges of users ``[first, first + count)``, in order."""

    def __init__(self, first: int, end: int) -> None:
        self.next, self.end = first, end

    def take(self, count: int) -> tuple[int, int]:
        if self.next + count > self.end:
            raise BenchmarkError("out of seeded users or tokens: raise the sizes")
        first, self.next = self.next, self.next + count
        return first, count


def summed(results: list[WrkResult]) -> WrkResult:
    """The results of wrk processes run at once, as one: counts and rates add up; the
    latencies are the slowest process's."""
    return WrkResult(
        requests=sum(r.requests for r in results),
        rps=sum(r.rps for r in results),
        p50_ms=max(r.p50_ms for r in results),
        p99_ms=max(r.p99_ms for r in results),
        errors=sum(r.errors for r in results),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of 4 s")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (7; --quick: 3)")
    parser.add_argument("--seconds", type=float, help="seconds per round (10; --quick: 4)")
    parser.add_argument("--slice", type=int, help="accounts or tokens per wrk process and round")
    parser.add_argument("--store", choices=("orm", "cache", "redis"), default="orm")
    parser.add_argument("--executor", choices=("threads", "inline"), default="threads")
    parser.add_argument(
        "--workers", type=int, default=4, help="gunicorn sync workers of the one node (4)"
    )
    parser.add_argument("--connections", type=int, help="wrk connections in all (2 x workers)")
    parser.add_argument("--db-prefix", default="bench", help="the database: <prefix>_nodes")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/14")
    args = parser.parse_args()
    if args.workers < 2 or args.workers % 2:
        parser.error("--workers must be even (two nodes get half each)")
    args.connections = args.connections or 2 * args.workers
    if args.connections % 2:
        parser.error("--connections must be even")
    exit_on_sigterm()
    try:
        results = run(args)
    except BenchmarkError as exc:
        exit_on(exc)
    print(render(results))
    return 0


def run(args: argparse.Namespace) -> dict[str, Any]:
    size = Sizes(args)
    db = Database("postgres", f"{args.db_prefix}_nodes")
    with tempfile.TemporaryDirectory(prefix="bench-nodes-") as tmp:
        work = Path(tmp)
        site = write_stores_site(work / "site")
        env = {
            "BENCH_REDIS_URL": args.redis_url,
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "BENCH_EXECUTOR": args.executor,
        }
        target = Target(
            "resetkit", Path(sys.executable), site, "postgres", db.name, args.store, env
        )
        db.create()
        forget(args, db)
        try:
            log(f"seeding {size.users} users, {size.validate_tokens + size.confirm_tokens} tokens")
            target.agent("setup", "--users", str(size.users), "--tokens",
                         str(size.validate_tokens), "--upper-index")  # fmt: skip
            target.agent("tokens", "--first", str(size.first_confirm),
                         "--count", str(size.confirm_tokens))  # fmt: skip
            return measure(target, size, args, work)
        finally:
            db.drop()
            forget(args, db)


def forget(args: argparse.Namespace, db: Database) -> None:
    """Delete the site's keys and the native store's (a new database numbers its users from 1
    again: an earlier run's tokens would meet them)."""
    delete_redis_keys(args.redis_url, f"bench-resetkit-{db.name}")
    if args.store == "redis":
        delete_redis_keys(args.redis_url, "{resetkit}")


def measure(target: Target, size: Sizes, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    validate_lua = work / "validate.lua"
    keys = ", ".join(f'"{key_for(n)}"' for n in range(1, size.validate_tokens + 1))
    validate_lua.write_text(VALIDATE_LUA % keys)
    request_lua = work / "request.lua"
    request_lua.write_text(REQUEST_LUA)
    tokens = Slices(size.first_confirm, size.first_confirm + size.confirm_tokens)
    accounts = Slices(size.first_request, size.users + 1)
    half = args.workers // 2
    counts = TokenCounts(target, tasks=False) if args.store == "orm" else None
    with contextlib.ExitStack() as stack:
        nodes = {
            "one": [stack.enter_context(server("one", target, args.workers))[2]],
            "two": [stack.enter_context(server(f"two-{i}", target, half))[2] for i in ("a", "b")],
        }
        pool = stack.enter_context(ThreadPoolExecutor(max_workers=2))

        def load(setup: str, endpoint: str, seconds: float) -> WrkResult:
            # Two wrk processes in both set-ups (both on the one node, or one per node), so
            # that the load generator is the same and only the servers differ: on a busy
            # machine a second wrk process also gets a second share of the CPU.
            urls = nodes[setup] * (2 // len(nodes[setup]))
            connections = args.connections // 2
            runs: list[tuple[str, Path, tuple[str, ...], int]] = []
            for url in urls:
                # Each wrk process gets its own accounts or tokens.
                count = size.slice
                extra: tuple[str, ...] = ()
                if endpoint == "request":
                    first, count = accounts.take(count)
                    script, extra = request_lua, ("0", str(count), str(first))
                elif endpoint == "confirm":
                    first, count = tokens.take(count)
                    script = confirm_script(work, first, count)
                else:
                    script = validate_lua
                runs.append((url, script, extra, count))
            if endpoint == "request":
                clear_budgets(target)
            before = counts.max_token_id() if counts and endpoint == "request" else 0
            futures = [
                pool.submit(wrk, url, script, seconds, connections, *extra)
                for url, script, extra, _ in runs
            ]
            parts = [future.result() for future in futures]
            for part, (_, _, _, count) in zip(parts, runs, strict=True):
                if endpoint != "validate" and part.requests > count:
                    log(f"warning: a wrk process of {setup} sent {part.requests} {endpoint} "
                        f"requests for {count} accounts or tokens (raise --slice)")  # fmt: skip
            result = summed(parts)
            result.seconds = seconds
            if counts and endpoint == "request":
                result.drain_s, result.drained = counts.drain(120)
                result.issued = counts.tokens_above(before)
            return result

        results: dict[str, Any] = {}
        try:
            for endpoint in ENDPOINTS:
                for setup in SETUPS:  # warm-up
                    load(setup, endpoint, 2)
                rounds: dict[str, list[WrkResult]] = {setup: [] for setup in SETUPS}
                for number in range(size.rounds):
                    order = list(SETUPS) if number % 2 == 0 else list(reversed(SETUPS))
                    for setup in order:
                        result = load(setup, endpoint, size.seconds)
                        rounds[setup].append(result)
                        log(f"{endpoint} round {number + 1}/{size.rounds} {setup} node(s): "
                            f"{result.rps:.0f} req/s, {result.errors} errors"
                            + (f", {result.issued} tokens" if result.issued is not None else "")
                            )  # fmt: skip
                results[endpoint] = summarize(rounds)
        finally:
            if counts:
                counts.close()
    results["settings"] = {
        "store": args.store,
        "executor": args.executor,
        "workers": args.workers,
        "connections": args.connections,
        "rounds": size.rounds,
        "seconds": size.seconds,
        "machine": machine(),
    }
    return results


def confirm_script(work: Path, first: int, count: int) -> Path:
    path = work / f"confirm-{first}.lua"
    keys = ", ".join(f'"{key_for(n)}"' for n in range(first, first + count))
    path.write_text(CONFIRM_LUA % (keys, NEW_PASSWORD))
    return path


def summarize(rounds: dict[str, list[WrkResult]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for setup, runs in rounds.items():
        entry: dict[str, Any] = {
            "rps": statistics.median(r.rps for r in runs),
            "p50_ms": statistics.median(r.p50_ms for r in runs),
            "errors": sum(r.errors for r in runs),
            "rounds": [r.rps for r in runs],
        }
        if all(r.issued is not None for r in runs):
            requests = sum(r.requests for r in runs)
            entry["tokens_per_request"] = sum(r.issued or 0 for r in runs) / requests
            entry["sustained_rps"] = statistics.median(r.sustained_rps or 0 for r in runs)
        summary[setup] = entry
    ratios = [b.rps / a.rps for a, b in zip(rounds["one"], rounds["two"], strict=True) if a.rps]
    summary["ratio"] = {"median": statistics.median(ratios), "min": min(ratios),
                        "max": max(ratios), "rounds": ratios}  # fmt: skip
    return summary


def render(results: dict[str, Any]) -> str:
    settings = results["settings"]
    half = settings["workers"] // 2
    lines = [
        f"resetkit ({settings['store']} store, {settings['executor']} executor) on PostgreSQL "
        f"and Redis; {settings['rounds']} interleaved rounds of {settings['seconds']:g} s, wrk "
        f"{settings['connections']} connections in all; {settings['machine']}",
        "",
        f"| endpoint | one node ({settings['workers']} workers) req/s | two nodes ({half} + "
        f"{half} workers) req/s | two / one (median of per-round ratios, [min, max]) |",
        "|---|---:|---:|---:|",
    ]
    for endpoint in ENDPOINTS:
        entry = results[endpoint]
        cells = []
        for setup in SETUPS:
            one = entry[setup]
            cell = f"{one['rps']:.0f}"
            if "tokens_per_request" in one:
                cell += (
                    f" ({one['tokens_per_request']:.2f} tokens/req, sustained "
                    f"{one['sustained_rps']:.0f}/s)"
                )
            if one["errors"]:
                cell += f", {one['errors']} errors"
            cells.append(cell)
        ratio = entry["ratio"]
        cells.append(f"{ratio['median']:.2f}{TIMES} [{ratio['min']:.2f}, {ratio['max']:.2f}]")
        lines.append(f"| {endpoint} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
