"""The token stores side by side: the ORM store, the generic cache store on Redis, the native
Redis store, and django-rest-passwordreset 1.6.0 (its table) as the reference.

    python -m benchmarks.stores --quick        # a few minutes
    python -m benchmarks.stores --only queries,memory
    python -m benchmarks.stores --cluster      # also the native store on a Redis Cluster

Three measurements, each per store:

* ``queries``: database round trips and Redis round trips of each step, in-process through
  Django's test client (``benchmarks.agent queries``): request (the first token of an account,
  with the per-account budget on as shipped, and off, to show the store's own share),
  validate, confirm, and the same with an unknown token. The request endpoint runs its issuing
  inline here, so that its count includes the work it hands to the executor in a deployment.
  Redis round trips are what redis-py sends; the commands ``MONITOR`` saw are listed beside them
  (the commands a server-side script runs are not round trips and are left out).
* ``throughput``: validate and confirm through gunicorn (sync workers), driven by wrk, on
  PostgreSQL and Redis, every store at once with its own server and database, in interleaved
  rounds that rotate who goes first; ratios are taken per round and their median is what to
  read. Every confirm spends a token no other request used (each round gets its own slice of
  pre-issued tokens; a round that runs out is flagged, as its extra answers would be 404s).
* ``memory``: what one outstanding token takes in Redis (the MEMORY USAGE of the keys the
  tokens add, and the instance's ``used_memory`` delta, which other clients of a shared Redis
  disturb) and in the token table (PostgreSQL), over ``--memory-tokens`` tokens.

The native store row appears when ``resetkit.backends.redis`` exists. With
``RESETKIT_BENCH_REDIS_CLUSTER`` set (``host:port[,host:port...]``, startup nodes) or
``--cluster``, the native store also runs against a Redis Cluster, in the throughput rounds:
``--cluster`` starts a three-master cluster on 7100-7102, data in a temporary directory
(``.ci/redis-cluster.sh`` with those ports when the script exists, else ``redis-server
--cluster-enabled yes`` and ``redis-cli --cluster create``), and stops it at the end.

Scratch PostgreSQL databases are ``<--db-prefix>_*``, created and dropped here. The Redis
database ``--redis-url`` (14 by default) must be the benchmark's own: it is flushed before and
after. Results go to ``.bench/stores.json``; the tables are printed in Markdown. Only medians
and ratios measured in one run mean anything: absolute times move with the machine's load.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import datetime, timezone
from importlib.util import find_spec
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script, too

from benchmarks.run import Target
from benchmarks.site import write_site
from benchmarks.support import (
    BENCH_DIR,
    LOOPBACK,
    REPO,
    BenchmarkError,
    Database,
    background,
    exit_on,
    exit_on_sigterm,
    key_for,
    log,
    machine,
    upstream_python,
)
from benchmarks.throughput import VALIDATE_LUA, CpuMeter, WrkResult, describe, server, wrk

#: The contenders, in the tables' order: (implementation, BENCH_STORE, label).
STORES = {
    "upstream": ("upstream", "orm", "upstream 1.6.0"),
    "orm": ("resetkit", "orm", "ORM store"),
    "cache": ("resetkit", "cache", "cache store (Redis)"),
    "redis": ("resetkit", "redis", "native Redis store"),
    "cluster": ("resetkit", "redis", "native store, Redis Cluster"),
}
NATIVE_STORE = "resetkit.backends.redis.RedisTokenStore"
SECTIONS = ("queries", "throughput", "memory")
NEW_PASSWORD = "brand-new-Passw0rd-42"
CLUSTER_ENV = "RESETKIT_BENCH_REDIS_CLUSTER"
TIMES = "\N{MULTIPLICATION SIGN}"
CLUSTER_KEY_PREFIX = "bench-stores"
CLUSTER_PORTS = (7100, 7101, 7102)

#: The site's settings, plus what this benchmark chooses through the environment: the native
#: store (``BENCH_STORE=redis``: on ``BENCH_REDIS_URL``, or with the options in
#: ``BENCH_REDIS_STORE_OPTIONS``, JSON) and ``BENCH_ACCOUNT_BUDGET=off``; and resetkit's
#: validate and confirm throttles off, as upstream's are.
SETTINGS_OVERRIDE = """
    import json
    import os

    from benchsite.settings import *  # noqa: F403

    if IMPL == "resetkit" and os.environ.get("BENCH_STORE") == "redis":
        RESETKIT["TOKEN_STORE"] = {
            "CLASS": "resetkit.backends.redis.RedisTokenStore",
            "OPTIONS": json.loads(os.environ.get("BENCH_REDIS_STORE_OPTIONS") or "null")
            or {"url": os.environ["BENCH_REDIS_URL"]},
        }
    if os.environ.get("BENCH_ACCOUNT_BUDGET") == "off":
        RESETKIT["ACCOUNT_TOKEN_RATE"] = None
    # No validate or confirm throttle, as upstream has none here ([]: DRF's defaults, none).
    RESETKIT["VALIDATE_THROTTLE_CLASSES"] = []
    RESETKIT["CONFIRM_THROTTLE_CLASSES"] = []
"""
SETTINGS_MODULE = "benchsite.stores_settings"

CONFIRM_LUA = """\
local keys = {%s}
local counter = 0
request = function()
  counter = counter + 1
  local body = '{"token": "' .. keys[((counter - 1) %% #keys) + 1] .. '", "password": "%s"}'
  return wrk.format("POST", "/api/password_reset/confirm/",
                    {["Content-Type"] = "application/json"}, body)
end
"""

#: The agent's cases, as the round-trip table names them.
CASES = {
    "request existing": "request (first token)",
    "request budget off": "… without the account budget",
    "request unknown": "request (unknown address)",
    "validate valid": "validate",
    "validate unknown": "validate (unknown token)",
    "confirm valid": "confirm",
    "confirm unknown": "confirm (unknown token)",
}


class Sizes:
    def __init__(self, args: argparse.Namespace) -> None:
        quick = args.quick
        self.rounds = args.rounds or (3 if quick else 7)
        self.seconds = args.seconds or (4.0 if quick else 10.0)
        self.validate_tokens = 1_000
        # Tokens each confirm round may spend: above what the fastest store answers in a round.
        self.confirm_tokens = args.confirm_tokens or (4_000 if quick else 6_000)
        self.warm_up_tokens = 1_000
        self.memory_tokens = args.memory_tokens or (2_000 if quick else 10_000)

    @property
    def first_confirm(self) -> int:
        return self.validate_tokens + 1

    @property
    def seeded_confirms(self) -> int:
        return self.warm_up_tokens + self.rounds * self.confirm_tokens

    @property
    def first_memory(self) -> int:
        return self.first_confirm + self.seeded_confirms

    @property
    def users(self) -> int:
        return self.first_memory + self.memory_tokens


def write_stores_site(root: Path) -> Path:
    """The benchmark site (``benchmarks.site``) with :data:`SETTINGS_OVERRIDE` beside its
    settings, as ``SETTINGS_MODULE``; the path to put on ``PYTHONPATH``."""
    site = write_site(root)
    (site / "benchsite" / "stores_settings.py").write_text(
        textwrap.dedent(SETTINGS_OVERRIDE).lstrip()
    )
    return site


def native_store_available() -> bool:
    return find_spec("resetkit.backends.redis") is not None


def cluster_client() -> Any:
    """A ``RedisCluster`` client on the startup nodes of ``RESETKIT_BENCH_REDIS_CLUSTER``: the
    native store's ``client`` option, as a deployment gives it one."""
    from redis.cluster import ClusterNode, RedisCluster

    nodes = []
    for node in os.environ[CLUSTER_ENV].split(","):
        host, _, port = node.strip().rpartition(":")
        nodes.append(ClusterNode(host or LOOPBACK, int(port)))
    return RedisCluster(startup_nodes=nodes)


def flush(url: str) -> None:
    """Empty the benchmark's own Redis database (the native store's keys carry no database
    name, so a new database's users would meet an earlier run's tokens)."""
    import redis

    client = redis.Redis.from_url(url)
    try:
        client.flushdb()
    finally:
        client.close()


# -- a Redis Cluster --------------------------------------------------------------------------


def clear_cluster(nodes: str) -> None:
    """Delete this benchmark's keys (``*bench-stores*``) from every master of the cluster."""
    os.environ.setdefault(CLUSTER_ENV, nodes)
    client = cluster_client()
    try:
        for key in list(client.scan_iter(match=f"*{CLUSTER_KEY_PREFIX}*", count=1000)):
            client.delete(key)
    finally:
        client.close()


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex((LOOPBACK, port)) != 0


def _wait_cluster_ok(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        done = subprocess.run(
            ["redis-cli", "-h", LOOPBACK, "-p", str(port), "cluster", "info"],
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
        if "cluster_state:ok" in done.stdout:
            return
        time.sleep(0.5)
    raise BenchmarkError(f"the Redis Cluster on port {port} did not reach cluster_state:ok")


@contextlib.contextmanager
def redis_cluster(start: bool) -> Iterator[str | None]:
    """The startup nodes of a Redis Cluster (``host:port,...``), or None: the one
    ``RESETKIT_BENCH_REDIS_CLUSTER`` names, else with ``start`` one started (and stopped) here."""
    given = os.environ.get(CLUSTER_ENV)
    if given or not start:
        yield given or None
        return
    # Ports of their own (not the tests' 7000-7002), so a test run's cluster is never touched.
    ports = CLUSTER_PORTS
    if not all(_port_free(port) and _port_free(port + 10000) for port in ports):
        raise BenchmarkError(f"ports {ports} (or their cluster bus ports) are taken")
    nodes = ",".join(f"{LOOPBACK}:{port}" for port in ports)
    script = REPO / ".ci" / "redis-cluster.sh"
    if script.exists():
        log(f"starting a Redis Cluster on {nodes} with .ci/redis-cluster.sh")
        with tempfile.TemporaryDirectory(prefix="bench-stores-cluster-") as tmp:
            env = dict(os.environ, CLUSTER_PORTS=" ".join(map(str, ports)), CLUSTER_DIR=tmp)
            try:
                subprocess.run(["bash", str(script), "start"], env=env, stdout=sys.stderr,
                               timeout=120, check=True)  # fmt: skip
                _wait_cluster_ok(ports[0])
                yield nodes
            finally:
                subprocess.run(["bash", str(script), "stop"], env=env, stdout=sys.stderr,
                               timeout=120, check=False)  # fmt: skip
        return
    log(f"starting a Redis Cluster on {nodes}")
    with (
        tempfile.TemporaryDirectory(prefix="bench-stores-cluster-") as tmp,
        contextlib.ExitStack() as stack,
    ):
        for port in ports:
            argv = [
                "redis-server", "--port", str(port), "--bind", LOOPBACK, "--dir", tmp,
                "--cluster-enabled", "yes", "--cluster-config-file", f"nodes-{port}.conf",
                "--save", "", "--appendonly", "no", "--protected-mode", "yes",
            ]  # fmt: skip
            stack.enter_context(
                background(argv, env=os.environ, cwd=Path(tmp), name=f"redis-{port}")
            )
        deadline = time.monotonic() + 30
        while any(_port_free(port) for port in ports):
            if time.monotonic() > deadline:
                raise BenchmarkError("the cluster's redis-server processes did not start")
            time.sleep(0.2)
        done = subprocess.run(
            ["redis-cli", "--cluster", "create", *nodes.split(","), "--cluster-replicas", "0",
             "--cluster-yes"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if done.returncode:
            raise BenchmarkError(f"redis-cli --cluster create failed:\n{done.stdout}{done.stderr}")
        _wait_cluster_ok(ports[0])
        yield nodes


# -- the run ------------------------------------------------------------------------------------


class Bench:
    def __init__(self, args: argparse.Namespace, cluster: str | None) -> None:
        self.args = args
        self.sizes = Sizes(args)
        self.work = Path(tempfile.mkdtemp(prefix="bench-stores-"))
        self.site = write_stores_site(self.work / "site")
        self.pythons = {"resetkit": Path(sys.executable), "upstream": Path(upstream_python())}
        self.names = ["upstream", "orm", "cache"]
        if native_store_available():
            self.names.append("redis")
        else:
            log("resetkit.backends.redis does not exist (yet): no native store row")
        self.cluster = cluster if "redis" in self.names else None
        self.databases: list[Database] = []
        self.targets: dict[str, Target] = {}
        self.seeded: set[str] = set()

    def target(self, name: str, **extra: str) -> Target:
        """``name``'s target on its scratch PostgreSQL database (created on first use);
        ``extra`` adds to its environment."""
        if name not in self.targets:
            impl, store, _ = STORES[name]
            env = {
                "BENCH_REDIS_URL": self.args.redis_url,
                "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
                # The request's issuing runs before it answers, so its counts include it.
                "BENCH_EXECUTOR": "inline",
            }
            if name == "cluster" and self.cluster:
                env[CLUSTER_ENV] = self.cluster
                options = {
                    "client": "benchmarks.stores.cluster_client",
                    "key_prefix": CLUSTER_KEY_PREFIX,
                }
                env["BENCH_REDIS_STORE_OPTIONS"] = json.dumps(options)
            db = Database("postgres", f"{self.args.db_prefix}_{name}")
            db.create()
            self.databases.append(db)
            python = self.pythons[impl]
            self.targets[name] = Target(impl, python, self.site, "postgres", db.name, store, env)
        target = self.targets[name]
        if not extra:
            return target
        return replace(target, extra_env={**(target.extra_env or {}), **extra})

    def close(self) -> None:
        for db in self.databases:
            try:
                db.drop()
            except Exception as exc:  # keep dropping the others
                log(f"could not drop {db.name}: {exc}")
        shutil.rmtree(self.work, ignore_errors=True)

    # -- sections -------------------------------------------------------------------------------

    def queries(self) -> dict[str, Any]:
        results: dict[str, Any] = {}
        for name in self.names:
            log(f"queries: {name}")
            target = self.target(name)
            numbers = target.agent("queries")
            off = self.target(name, BENCH_ACCOUNT_BUDGET="off")
            numbers["request budget off"] = off.agent("queries", "--cases", "request existing")[
                "request existing"
            ]
            results[name] = numbers
        return results

    def seed(self, names: list[str]) -> None:
        size = self.sizes
        for name in names:
            target = self.target(name)
            log(f"seeding {name}: {size.users} users, {size.validate_tokens} + "
                f"{size.seeded_confirms} tokens")  # fmt: skip
            target.agent("setup", "--users", str(size.users), "--tokens",
                         str(size.validate_tokens), "--upper-index")  # fmt: skip
            target.agent("tokens", "--first", str(size.first_confirm),
                         "--count", str(size.seeded_confirms))  # fmt: skip
            self.seeded.add(name)

    def throughput(self) -> dict[str, Any]:
        size = self.sizes
        names = [*self.names, *(["cluster"] if self.cluster else [])]
        self.seed(names)
        work = self.work / "lua"
        work.mkdir()
        validate_lua = work / "validate.lua"
        keys = [key_for(n) for n in range(1, size.validate_tokens + 1)]
        validate_lua.write_text(VALIDATE_LUA % ", ".join(f'"{key}"' for key in keys))

        def confirm_lua(first: int, count: int) -> Path:
            path = work / f"confirm-{first}.lua"
            keys = ", ".join(f'"{key_for(n)}"' for n in range(first, first + count))
            path.write_text(CONFIRM_LUA % (keys, NEW_PASSWORD))
            return path

        warm_up = confirm_lua(size.first_confirm, size.warm_up_tokens)
        slices = [
            confirm_lua(size.first_confirm + size.warm_up_tokens + r * size.confirm_tokens,
                        size.confirm_tokens)
            for r in range(size.rounds)
        ]  # fmt: skip
        workers, connections = self.args.workers, self.args.connections
        results: dict[str, Any] = {}
        with contextlib.ExitStack() as stack:
            servers = {
                name: stack.enter_context(server(name, self.targets[name], workers))
                for name in names
            }

            def run(name: str, script: Path, seconds: float) -> WrkResult:
                pid, _, url = servers[name]
                meter = CpuMeter(pid)
                result = wrk(url, script, seconds, connections)
                result.cpu_us = meter.per_request(result.requests)
                return result

            for endpoint in ("validate", "confirm"):
                for name in names:  # warm-up: imports, connections, scripts
                    run(name, validate_lua if endpoint == "validate" else warm_up, 2)
                per_store: dict[str, list[WrkResult]] = {name: [] for name in names}
                for number in range(size.rounds):
                    shift = number % len(names)
                    order = names[shift:] + names[:shift]
                    if number % 2:
                        order.reverse()
                    script = validate_lua if endpoint == "validate" else slices[number]
                    for name in order:
                        result = run(name, script, size.seconds)
                        if endpoint == "confirm" and result.requests > size.confirm_tokens:
                            log(f"warning: {name} confirmed more than its {size.confirm_tokens} "
                                "tokens in a round (raise --confirm-tokens)")  # fmt: skip
                        per_store[name].append(result)
                        log(f"{endpoint} round {number + 1}/{size.rounds} {name}: "
                            f"{describe(result)}, {result.errors} errors")  # fmt: skip
                results[endpoint] = summarize(per_store, size.confirm_tokens, endpoint)
        results["settings"] = {
            "rounds": size.rounds,
            "seconds": size.seconds,
            "workers": workers,
            "connections": connections,
            "confirm_tokens_per_round": size.confirm_tokens,
            "cluster": self.cluster,
        }
        return results

    def memory(self) -> dict[str, Any]:
        size = self.sizes
        results: dict[str, Any] = {}
        for name in self.names:
            target = self.target(name)
            if name not in self.seeded:
                target.agent("setup", "--users", str(size.users))
            log(f"memory: {name}, {size.memory_tokens} tokens")
            results[name] = target.agent(
                "memory", "--first", str(size.first_memory), "--count", str(size.memory_tokens)
            )
        return results


def summarize(per_store: dict[str, list[WrkResult]], budget: int, endpoint: str) -> dict[str, Any]:
    """Medians per store and the per-round ratios of the pairs worth reading."""
    summary: dict[str, Any] = {}
    for name, runs in per_store.items():
        summary[name] = {
            "rps": statistics.median(r.rps for r in runs),
            "p50_ms": statistics.median(r.p50_ms for r in runs),
            "p99_ms": statistics.median(r.p99_ms for r in runs),
            "errors": sum(r.errors for r in runs),
            "server_cpu_us": statistics.median(r.cpu_us.get("server", 0.0) for r in runs),
            "exhausted": endpoint == "confirm" and any(r.requests > budget for r in runs),
            "rounds": [asdict(r) for r in runs],
        }
    ratios: dict[str, Any] = {}
    for top, bottom in (
        ("redis", "orm"), ("redis", "upstream"), ("cache", "orm"), ("orm", "upstream"),
        ("cache", "upstream"), ("cluster", "redis"), ("cluster", "orm"),
    ):  # fmt: skip
        if top in per_store and bottom in per_store:
            rounds = [
                b.rps / a.rps
                for a, b in zip(per_store[bottom], per_store[top], strict=True)
                if a.rps
            ]
            ratios[f"{top}/{bottom}"] = {
                "median": statistics.median(rounds),
                "min": min(rounds),
                "max": max(rounds),
                "rounds": rounds,
            }
    summary["ratios"] = ratios
    return summary


# -- the tables ---------------------------------------------------------------------------------


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def render(results: dict[str, Any]) -> str:
    lines: list[str] = []
    names = results["stores"]
    queries = results.get("queries")
    if queries:
        lines += [
            "Round trips per step: database / Redis (Redis commands as MONITOR saw them)",
            "",
            _row(["step", *[STORES[n][2] for n in queries]]),
            "|---|" + "---:|" * len(queries),
        ]
        for case, label in CASES.items():
            cells = []
            for name in queries:
                numbers = queries[name].get(case)
                if numbers is None:
                    cells.append("")
                    continue
                commands = ", ".join(
                    f"{command}{'' if count == 1 else f' {TIMES}{count}'}"
                    for command, count in sorted(numbers["redis_commands"].items())
                )
                cells.append(
                    f"{numbers['round_trips']} / {numbers['redis_round_trips']}"
                    + (f" ({commands})" if commands else "")
                )
            lines.append(_row([label, *cells]))
        lines.append("")
    throughput = results.get("throughput")
    if throughput:
        shown = [n for n in [*names, "cluster"] if n in throughput["validate"]]
        settings = throughput["settings"]
        lines += [
            f"Throughput, gunicorn {settings['workers']} sync workers, wrk "
            f"{settings['connections']} connections, {settings['rounds']} interleaved rounds "
            f"of {settings['seconds']:g} s: median req/s (p50 ms; server CPU µs/req)",
            "",
            _row(["endpoint", *[STORES[n][2] for n in shown]]),
            "|---|" + "---:|" * len(shown),
        ]
        for endpoint in ("validate", "confirm"):
            cells = []
            for name in shown:
                entry = throughput[endpoint][name]
                cell = (
                    f"{entry['rps']:.0f} ({entry['p50_ms']:.1f} ms; "
                    f"{entry['server_cpu_us']:.0f} µs)"
                )
                if entry["errors"]:
                    cell += f", {entry['errors']} errors"
                if entry["exhausted"]:
                    cell += ", RAN OUT OF TOKENS"
                cells.append(cell)
            lines.append(_row([endpoint, *cells]))
        lines += ["", _row(["ratio (median of per-round ratios, [min, max])", "validate",
                            "confirm"]), "|---|---:|---:|"]  # fmt: skip
        for pair in throughput["validate"]["ratios"]:
            cells = []
            for endpoint in ("validate", "confirm"):
                ratio = throughput[endpoint]["ratios"][pair]
                cells.append(
                    f"{ratio['median']:.2f}{TIMES} [{ratio['min']:.2f}, {ratio['max']:.2f}]"
                )
            top, bottom = pair.split("/")
            lines.append(_row([f"{STORES[top][2]} / {STORES[bottom][2]}", *cells]))
        lines.append("")
    memory = results.get("memory")
    if memory:
        lines += [
            f"Memory per outstanding token ({next(iter(memory.values()))['tokens']} tokens)",
            "",
            _row(["store", "Redis keys", "Redis bytes (MEMORY USAGE)",
                  "Redis used_memory delta", "table bytes (PostgreSQL)"]),
            "|---|---:|---:|---:|---:|",
        ]  # fmt: skip
        for name, entry in memory.items():
            table = entry["table_bytes_per_token"]
            lines.append(
                _row(
                    [
                        STORES[name][2],
                        f"{entry['redis_keys_per_token']:.2f}",
                        f"{entry['redis_bytes_per_token']:.0f}" + by_kind(entry),
                        f"{entry['redis_used_memory_per_token']:.0f}",
                        "" if table is None else f"{table:.0f}",
                    ]
                )
            )
        lines.append("")
    lines += targets(results)
    return "\n".join(lines)


def by_kind(entry: dict[str, Any]) -> str:
    """`` (t 250, u 100)``: the bytes per token of each kind of key (its last prefix part)."""
    kinds = entry.get("redis_bytes_per_token_by_kind") or {}
    if not kinds:
        return ""
    parts = [f"{kind.rpartition(':')[2] or kind} {size:.0f}" for kind, size in kinds.items()]
    return f" ({', '.join(parts)})"


def targets(results: dict[str, Any]) -> list[str]:
    """The goals the native store is held to, and whether this run met them."""
    checks: list[tuple[str, bool | None]] = []
    queries = results.get("queries", {})
    native = queries.get("redis")
    if native:
        trips = {case: native[case]["redis_round_trips"] for case in native}
        checks += [
            ("native store: validate in 1 Redis round trip", trips["validate valid"] == 1),
            ("native store: confirm in 1 Redis round trip", trips["confirm valid"] == 1),
            (
                "native store: request (first token, no budget) in at most 2 Redis round trips",
                trips["request budget off"] <= 2,
            ),
        ]
    throughput = results.get("throughput", {})
    for endpoint in ("validate", "confirm"):
        ratios = throughput.get(endpoint, {}).get("ratios", {})
        if "redis/orm" in ratios:
            checks.append(
                (f"native {endpoint} >= ORM store's", ratios["redis/orm"]["median"] >= 1.0)
            )
        if "redis/upstream" in ratios:
            checks.append(
                (f"native {endpoint} >= 1.2x upstream's", ratios["redis/upstream"]["median"] >= 1.2)
            )
    ratios = throughput.get("validate", {}).get("ratios", {})
    if "cache/orm" in ratios:
        checks.append(
            (
                "cache store validate no slower than the ORM store's",
                ratios["cache/orm"]["median"] >= 1.0,
            )
        )
    if not checks:
        return []
    return ["Targets", "", *(f"- {'met' if ok else 'NOT met'}: {text}" for text, ok in checks)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds of 4 s, fewer tokens")
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument("--cluster", action="store_true", help="start a Redis Cluster if "
                        f"{CLUSTER_ENV} is unset, and measure the native store on it")  # fmt: skip
    parser.add_argument("--rounds", type=int, help="throughput rounds (7; --quick: 3)")
    parser.add_argument("--seconds", type=float, help="seconds per round (10; --quick: 4)")
    parser.add_argument(
        "--confirm-tokens", type=int, help="tokens per confirm round (6000; --quick: 4000)"
    )
    parser.add_argument("--memory-tokens", type=int, help="tokens measured (10000; --quick: 2000)")
    parser.add_argument(
        "--workers", type=int, default=2 * (os.cpu_count() or 1) + 1, help="gunicorn sync workers"
    )
    parser.add_argument("--connections", type=int, help="wrk connections (2 x workers)")
    parser.add_argument("--db-prefix", default=os.environ.get("BENCH_DB_PREFIX", "bench_stores"))
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_STORES_REDIS_URL", "redis://127.0.0.1:6379/14"),
        help="the benchmark's own Redis database (flushed)",
    )
    args = parser.parse_args()
    if args.connections is None:
        args.connections = 2 * args.workers
    sections = [name.strip() for name in args.only.split(",") if name.strip()]
    if set(sections) - set(SECTIONS):
        parser.error(f"--only: expected a subset of {','.join(SECTIONS)}")
    exit_on_sigterm()
    started = time.monotonic()
    results: dict[str, Any] = {
        "meta": {
            "command": " ".join(["python -m benchmarks.stores", *sys.argv[1:]]),
            "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine(),
            "quick": args.quick,
        }
    }
    try:
        with redis_cluster(args.cluster) as cluster:
            bench = Bench(args, cluster)
            results["stores"] = bench.names
            flush(args.redis_url)
            if bench.cluster:
                clear_cluster(bench.cluster)
            try:
                for section in SECTIONS:
                    if section in sections:
                        log(f"== {section}")
                        results[section] = getattr(bench, section)()
            finally:
                bench.close()
                flush(args.redis_url)
                if bench.cluster:
                    clear_cluster(bench.cluster)
    except (BenchmarkError, subprocess.CalledProcessError) as exc:
        exit_on(exc)
    results["meta"]["seconds"] = round(time.monotonic() - started)
    BENCH_DIR.mkdir(exist_ok=True)
    (BENCH_DIR / "stores.json").write_text(json.dumps(results, indent=2))
    print(render(results))
    print(f"\n{results['meta']['machine']}; {results['meta']['seconds']} s; "
          f"results in {BENCH_DIR / 'stores.json'}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
