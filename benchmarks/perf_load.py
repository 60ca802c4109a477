"""Throughput and latency through a real server: gunicorn, driven by wrk, on loopback only.

Each implementation gets its own gunicorn (sync workers, one per core) on a free 127.0.0.1 port
and its own database. Rounds interleave the two, swapping who goes first (A/B, then B/A), so
slow phases of a shared machine fall on both and neither always runs second; the ratio is taken
per round, and the median of those ratios is what to read. wrk runs for a fixed time per round
and stops by itself.

Throughput moves with whatever else the machine is doing; the CPU time each request costs moves
much less. On Linux each round also reads, from ``/proc``, the CPU time that the gunicorn
(master and workers) and PostgreSQL's processes spent during it, per request served: it shows
where an implementation spends its time, in the server or in the database.

The request endpoint of resetkit answers first and issues the token after the response is
sent, in the same worker: the worker is busy until that work is done, so throughput counts it;
the latency a client sees does not.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perf_envs import BenchError, Target, log

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Server:
    """gunicorn serving one target; stopped (by its own pid) on exit."""

    def __init__(self, target: Target, workers: int, log_dir: Path) -> None:
        self.target = target
        self.port = free_port()
        self.workers = workers
        self.log_path = log_dir / f"gunicorn-{target.impl}-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        command = [
            self.target.bin("gunicorn"),
            "benchsite.wsgi:application",
            "--workers",
            str(self.workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            "--error-logfile",
            str(self.log_path),
            "--graceful-timeout",
            "5",
        ]
        self.process = subprocess.Popen(
            command, env=self.target.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn for {self.target.label} exited; see {self.log_path}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.2)
        raise BenchError(f"gunicorn for {self.target.label} did not start; see {self.log_path}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@dataclass
class WrkResult:
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    #: CPU microseconds per request, by process group (``server``, ``postgres``); empty when
    #: ``/proc`` cannot be read.
    cpu_us: dict[str, float] = field(default_factory=dict)


class CpuMeter:
    """CPU time of one gunicorn (master and workers) and of PostgreSQL's processes over a round.

    Read from ``/proc/<pid>/stat`` (user + system time of each process): Linux only, and only
    processes alive at both ends count, which holds for gunicorn's sync workers and for the
    persistent database connections (``CONN_MAX_AGE``). PostgreSQL's background processes are
    included: the work a request causes there (WAL, autovacuum) is part of its cost.
    """

    _TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100

    def __init__(self, server_pid: int) -> None:
        self.server_pid = server_pid
        self.start = self._sample()

    def _sample(self) -> dict[str, float] | None:
        proc = Path("/proc")
        if not (proc / str(self.server_pid) / "stat").exists():
            return None
        seconds = {"server": 0.0, "postgres": 0.0}
        for entry in proc.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:  # gone, or not ours to read
                continue
            name = stat[stat.index("(") + 1 : stat.rindex(")")]
            fields = stat[stat.rindex(")") + 2 :].split()
            ppid, ticks = int(fields[1]), int(fields[11]) + int(fields[12])
            if self.server_pid in (int(entry.name), ppid):
                seconds["server"] += ticks / self._TICK
            elif name.startswith("postgres"):
                seconds["postgres"] += ticks / self._TICK
        return seconds

    def per_request(self, requests: int) -> dict[str, float]:
        """Microseconds of CPU per request since the meter was made, by group."""
        end = self._sample()
        if self.start is None or end is None or requests <= 0:
            return {}
        return {group: (end[group] - self.start[group]) / requests * 1e6 for group in self.start}


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


def measure(
    targets: dict[str, Target],
    keys: list[str],
    users: int,
    first_request_user: int,
    rounds: int,
    seconds: float,
    connections: int,
    workers: int,
) -> dict[str, Any]:
    """Interleaved rounds of validate and request against both implementations."""
    work = Path(tempfile.mkdtemp(prefix="bench-perf-load-"))
    validate_lua = work / "validate.lua"
    validate_lua.write_text(VALIDATE_LUA % ", ".join(f'"{key}"' for key in keys))
    request_lua = work / "request.lua"
    request_lua.write_text(REQUEST_LUA)
    results: dict[str, Any] = {}
    offsets = dict.fromkeys(targets, 0)
    servers = {impl: Server(target, workers, work) for impl, target in targets.items()}
    try:
        for server in servers.values():
            server.__enter__()
        for endpoint in ("validate", "request"):
            per_impl: dict[str, list[WrkResult]] = {impl: [] for impl in targets}

            def run(impl: str, duration: float, endpoint: str = endpoint) -> WrkResult:
                server = servers[impl]
                assert server.process is not None
                meter = CpuMeter(server.process.pid)
                if endpoint == "validate":
                    result = wrk(server.url, validate_lua, duration, connections)
                else:
                    args = (
                        str(offsets[impl]),
                        str(users - first_request_user),
                        str(first_request_user),
                    )
                    result = wrk(server.url, request_lua, duration, connections, *args)
                    offsets[impl] += result.requests + connections
                result.cpu_us = meter.per_request(result.requests)
                return result

            for impl in targets:  # warm-up: imports, connections, caches
                run(impl, 2)
            for number in range(rounds):
                order = list(targets) if number % 2 == 0 else list(reversed(targets))
                for impl in order:
                    result = run(impl, seconds)
                    per_impl[impl].append(result)
                    cpu = "".join(
                        f", {group} CPU {value:.0f} \N{MICRO SIGN}s/req"
                        for group, value in result.cpu_us.items()
                    )
                    log(
                        f"{endpoint} round {number + 1}/{rounds} {impl}: {result.rps:.0f} req/s, "
                        f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms{cpu}"
                    )
            results[endpoint] = summarize(per_impl)
        results["requests_sent"] = offsets
    finally:
        for server in servers.values():
            server.__exit__(None, None, None)
        shutil.rmtree(work, ignore_errors=True)
    return results


def summarize(per_impl: dict[str, list[WrkResult]]) -> dict[str, Any]:
    up, rk = per_impl["upstream"], per_impl["resetkit"]
    ratios = [b.rps / a.rps for a, b in zip(up, rk, strict=True)]
    p50_ratios = [b.p50_ms / a.p50_ms for a, b in zip(up, rk, strict=True)]
    p99_ratios = [b.p99_ms / a.p99_ms for a, b in zip(up, rk, strict=True)]
    summary: dict[str, Any] = {}
    for impl, runs in per_impl.items():
        summary[impl] = {
            "rps": statistics.median(r.rps for r in runs),
            "p50_ms": statistics.median(r.p50_ms for r in runs),
            "p99_ms": statistics.median(r.p99_ms for r in runs),
            "errors": sum(r.errors for r in runs),
            "rounds": [r.rps for r in runs],
            # CpuMeter reads every group or none.
            "cpu_us": (
                {
                    group: statistics.median(r.cpu_us[group] for r in runs)
                    for group in runs[0].cpu_us
                }
                if all(r.cpu_us for r in runs)
                else {}
            ),
        }
    summary["ratio"] = {
        "rps": statistics.median(ratios),
        "rps_min": min(ratios),
        "rps_max": max(ratios),
        "p50": statistics.median(p50_ratios),
        "p99": statistics.median(p99_ratios),
        "rounds": ratios,
    }
    return summary
