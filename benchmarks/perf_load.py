"""Throughput and latency through a real server: gunicorn, driven by wrk, on loopback only.

Each implementation gets its own gunicorn (sync workers, one per core) on a free 127.0.0.1 port
and its own database. Rounds alternate upstream / resetkit (A/B/A/B), so slow phases of a
shared machine fall on both; the ratio is taken per round, and the median of those ratios is
what to read. wrk runs for a fixed time per round and stops by itself.

The request endpoint of resetkit answers first and issues the token after the response is
sent, in the same worker: the worker is busy until that work is done, so throughput counts it;
the latency a client sees does not.
"""

from __future__ import annotations

import re
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
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
                url = servers[impl].url
                if endpoint == "validate":
                    return wrk(url, validate_lua, duration, connections)
                args = (
                    str(offsets[impl]),
                    str(users - first_request_user),
                    str(first_request_user),
                )
                result = wrk(url, request_lua, duration, connections, *args)
                offsets[impl] += result.requests + connections
                return result

            for impl in targets:  # warm-up: imports, connections, caches
                run(impl, 2)
            for number in range(rounds):
                for impl in targets:
                    result = run(impl, seconds)
                    per_impl[impl].append(result)
                    log(
                        f"{endpoint} round {number + 1}/{rounds} {impl}: {result.rps:.0f} req/s, "
                        f"p50 {result.p50_ms:.2f} ms, p99 {result.p99_ms:.2f} ms"
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
