"""Can the request endpoint tell, through timing, whether an account exists?

The request endpoint (``POST /api/password_reset/``) answers alike for every address; the
question is whether anything a client can time depends on the account. This script serves,
side by side under gunicorn and uvicorn on PostgreSQL, each with a receiver that e-mails the
reset link through Django's SMTP backend to a local SMTP sink (aiosmtpd) that counts the mails:

* django-rest-passwordreset 1.6.0, installed from PyPI into ``.bench/venv-upstream``, in the
  project ``benchmarks/site.py`` writes: it looks up, issues and e-mails before answering
  (the reference: it is an oracle);
* the demo project with resetkit (``benchmarks.settings``) and the ``ThreadExecutor`` (pool
  threads in the web process; ``BENCH_EXECUTOR=threads``);
* the same with the ``TasksExecutor``: jobs enqueued through the Tasks framework's database
  backend (``django_tasks_db``) on the same PostgreSQL database, and run by a real
  ``manage.py db_worker`` process (``BENCH_EXECUTOR=tasks``, ``--worker-interval``).

Each project runs three servers, each with ONE worker process, so that every probe reaches the
process that did (or handed off) the work: gunicorn ``sync`` (one connection at a time, never
kept alive), gunicorn ``gthread`` (``--threads`` threads, keep-alive) and ``uvicorn`` (ASGI:
Django's ``ASGIHandler`` on an event loop, the views on its thread, keep-alive).

Three observables, for an existing account and for an unknown address:

1. ``last byte``: from opening the connection to the answer's last byte;
2. ``server close``: the same request with ``Connection: close``, from opening the connection
   until the server closes it (the client reads until EOF after the body);
3. ``next request``: the answer time of a second request sent right after the first answer's
   last byte. With ``gthread`` and ``uvicorn`` it goes on the same kept-alive connection
   (timed from sending it to its last byte). ``sync`` never keeps a connection alive, so
   there the client closes the first connection and opens a new one to the same
   single-worker server at once (timed from connecting to the last byte): the worker can only
   accept it when done with the first.
   The second request is the same whatever the first one asked: a validate of a fixed bogus
   token (a 404 in both packages). It is read-only (it queues no work and sends no mail, so
   the mail counts stay exact and the first request's work is the only work in flight), yet
   it needs what that work competes for: the worker's CPU and GIL, a database round trip.

Observables 1 and 3 come from the same requests (a plain keep-alive request, as before);
observable 2 from requests of their own. One run interleaves everything: each block holds,
for every server, one request of each kind (existing, unknown) for each of the two request
types, in a random order, with ``--pause`` between them. ``--requests`` blocks make that many
requests per class in every cell (observable x server x project); ``--quick`` makes 60.
Throttles and resetkit's account budget are off, so every request for the existing account
really e-mails a token; after the warm-up and at the end the script waits until each sink has
exactly that many mails (the thread executor runs a job after a random delay, 0.05 to 2 s by
default; the task worker when it next polls), and fails otherwise.

For every cell it reports the medians for both classes, the two-sided Mann-Whitney U p-value
and the held-out accuracy of the best threshold classifier ("slower than t means the account
exists", or faster), by 10-fold cross-validation: 50% is chance. It exits 1 if a mail count is
wrong or any resetkit accuracy (threads or tasks) is above ``--max-accuracy`` (55%), 2 if the
set-up failed. Chance alone puts a cell above 55% now and then (it prints how often: with 200
per class about 5% of cells, with 60 about 18%; with 18 resetkit cells a leak-free run then
fails most of the time). ``--alpha A`` fails a cell only if its p-value is also
below A / the number of resetkit cells, so that a leak-free run fails with probability at most
A; CI runs want it.

``--inline`` is the control experiment: resetkit with the ``InlineExecutor``, which issues and
e-mails before answering as upstream does. The same measurement must then find the account
(no accuracy limit applies).

Everything listens on and talks to 127.0.0.1; the scratch databases (``<prefix>_timing_*``)
and the Redis keys under their names are removed, and every process started is stopped,
however the run ends.

    python benchmarks/timing_oracle.py --alpha 0.01          # full: 200 per class per cell, ~8 min
    python benchmarks/timing_oracle.py --quick --alpha 0.01  # CI: 60 per class per cell, ~3 min
    python benchmarks/timing_oracle.py --inline --quick      # the control run
    python benchmarks/timing_oracle.py --executors threads --worker-classes gthread --json t.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import random
import socket
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from scipy.stats import mannwhitneyu

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script, too

from benchmarks.site import write_site
from benchmarks.support import (
    LOOPBACK,
    REPO,
    BenchmarkError,
    Database,
    background,
    count_lines,
    delete_redis_keys,
    django_env,
    exit_on,
    exit_on_sigterm,
    free_port,
    gunicorn_argv,
    manage,
    smtp_sink,
    tail,
    upstream_python,
    wait_until_answering,
)

REQUEST_URL = "/api/password_reset/"
VALIDATE_URL = "/api/password_reset/validate_token/"
EXISTING = "existing@example.com"
UNKNOWN = "nobody@example.com"
# The second request of observable 3: a token no store holds, the same for both classes.
PROBE_BODY = json.dumps({"token": "0123456789abcdef" * 4}).encode()
PROBE_STATUS = 404
CREATE_USER = (
    "from django.contrib.auth import get_user_model; "
    f"get_user_model().objects.create_user('existing', '{EXISTING}', 'Existing-Passw0rd')"
)

KINDS = ("existing", "unknown")
#: The servers: gunicorn's two worker classes, and uvicorn (ASGI).
WORKER_CLASSES = ("sync", "gthread", "uvicorn")
#: The servers that keep a connection alive (the next request goes on the same connection).
KEEP_ALIVE = ("gthread", "uvicorn")
#: Django's ASGI application, built by uvicorn (``--factory``) with the process's settings.
ASGI_FACTORY = "django.core.asgi:get_asgi_application"
EXECUTORS = ("threads", "tasks")
OBSERVABLES = {
    "last_byte": "last byte",
    "close": "server close",
    "next": "next request",
}
# The two request types of a block, and the observables each one gives.
SAMPLE_TYPES = ("close", "next")

SOCKET_TIMEOUT = 30.0  # seconds per connect, send or receive
MAX_RESPONSE_BYTES = 1 << 20


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--requests", type=int, help="per class per cell, i.e. blocks (200; --quick: 60)"
    )
    parser.add_argument("--warm-up", type=int, help="untimed blocks first (10; --quick: 4)")
    parser.add_argument("--quick", action="store_true", help="60 per class per cell, for CI")
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between samples (0.05)")
    parser.add_argument("--threads", type=int, default=4, help="threads of the gthread worker (4)")
    parser.add_argument(
        "--worker-interval",
        type=float,
        default=0.1,
        help="db_worker --interval: seconds between polls of an empty queue (0.1)",
    )
    parser.add_argument("--seed", type=int, default=2024, help="order and folds (2024)")
    parser.add_argument(
        "--max-accuracy", type=float, default=0.55, help="for every resetkit cell (0.55)"
    )
    parser.add_argument(
        "--alpha",
        type=float,
        help="fail a cell only if also significant: Mann-Whitney U p < ALPHA / number of "
        "resetkit cells (Bonferroni), so that a leak-free run fails with probability <= ALPHA",
    )
    parser.add_argument(
        "--inline",
        action="store_true",
        help="control run: resetkit with the InlineExecutor instead of threads and tasks",
    )
    parser.add_argument(
        "--executors",
        default=",".join(EXECUTORS),
        help="resetkit executors to serve, comma-separated (threads,tasks)",
    )
    parser.add_argument(
        "--worker-classes",
        default=",".join(WORKER_CLASSES),
        help="servers, comma-separated: gunicorn worker classes and uvicorn (sync,gthread,uvicorn)",
    )
    parser.add_argument("--markdown", action="store_true", help="also print Markdown tables")
    parser.add_argument("--json", type=Path, help="write every sample (seconds) to this file")
    parser.add_argument("--db-prefix", default=os.environ.get("BENCH_DB_PREFIX", "resetkit_bench"))
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
    )
    args = parser.parse_args()
    if args.requests is None:
        args.requests = 60 if args.quick else 200
    if args.warm_up is None:
        args.warm_up = 4 if args.quick else 10
    if args.requests < 20:
        parser.error("--requests must be at least 20 (10 folds of cross-validation)")
    if args.warm_up < 1:
        parser.error("--warm-up must be at least 1 (it starts the executors' threads)")
    if args.alpha is not None and not 0 < args.alpha < 1:
        parser.error("--alpha must be within (0, 1)")
    if not 0 <= args.pause <= 5 or not 0 < args.worker_interval <= 5:
        parser.error("--pause must be within [0, 5] and --worker-interval within (0, 5]")
    args.executors = ["inline"] if args.inline else split_choices(parser, args.executors, EXECUTORS)
    args.worker_classes = split_choices(parser, args.worker_classes, WORKER_CLASSES)
    return args


def split_choices(parser: argparse.ArgumentParser, value: str, allowed: Sequence[str]) -> list:
    chosen = [item.strip() for item in value.split(",") if item.strip()]
    if not chosen or any(item not in allowed for item in chosen) or len(set(chosen)) < len(chosen):
        parser.error(f"{value!r}: expected a comma-separated subset of {','.join(allowed)}")
    return [item for item in allowed if item in chosen]


# -- what is served ---------------------------------------------------------------------------


@dataclass
class Server:
    """One server (one worker process: gunicorn or uvicorn) and what was measured against it."""

    worker_class: str
    port: int
    # (observable, kind) -> seconds
    times: dict[tuple[str, str], list[float]] = field(
        default_factory=lambda: {(o, k): [] for o in OBSERVABLES for k in KINDS}
    )


@dataclass
class Project:
    """One package and configuration: its database, its mail sink, a server per kind."""

    key: str  # "upstream", "threads", "tasks" or "inline"
    name: str
    db: Database
    sink: Path  # the SMTP sink's message count file
    servers: dict[str, Server] = field(default_factory=dict)
    logs: dict[str, Path] = field(default_factory=dict)  # process name -> its log
    existing_requests: int = 0  # every request for the existing account, warm-up included


PROJECT_NAMES = {
    "upstream": "django-rest-passwordreset 1.6.0",
    "threads": "resetkit (threads)",
    "tasks": "resetkit (tasks)",
    "inline": "resetkit (inline)",
}


def start_servers(
    stack: contextlib.ExitStack,
    project: Project,
    args: argparse.Namespace,
    app: str,
    env: dict[str, str],
    *,
    python: str = sys.executable,
    cwd: Path = REPO,
) -> None:
    """One single-worker server per kind (gunicorn's worker classes serving the WSGI ``app``,
    uvicorn Django's ASGI application), all started before any is waited for."""
    for worker_class in args.worker_classes:
        port = free_port()
        if worker_class == "uvicorn":
            argv = uvicorn_argv(port, python)
        else:
            threads = 1 if worker_class == "sync" else args.threads
            argv = gunicorn_argv(app, port, workers=1, threads=threads, worker_class=worker_class,
                                 python=python)  # fmt: skip
        name = f"{project.key}-{worker_class}"
        project.logs[name] = stack.enter_context(background(argv, env=env, cwd=cwd, name=name)).log
        project.servers[worker_class] = Server(worker_class, port)
    for worker_class, server in project.servers.items():
        wait_until_answering(
            server.port, REQUEST_URL, b"{}", project.logs[f"{project.key}-{worker_class}"]
        )


def uvicorn_argv(port: int, python: str) -> list[str]:
    """uvicorn, one process (no supervisor), serving Django's ASGI application."""
    return [
        python, "-m", "uvicorn", ASGI_FACTORY, "--factory",
        "--host", LOOPBACK, "--port", str(port),
        "--lifespan", "off", "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip


def with_uvicorn(python: str) -> str:
    """``python`` (the upstream virtualenv's), with the uvicorn version this interpreter has
    installed into it if missing: the servers differ by the package alone."""
    import subprocess
    from importlib.metadata import version

    check = [python, "-c", "import uvicorn"]
    if subprocess.run(check, capture_output=True, timeout=60, check=False).returncode == 0:
        return python
    pin = f"uvicorn=={version('uvicorn')}"
    install = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", pin]
    done = subprocess.run(install, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode:
        raise BenchmarkError(f"installing {pin} for upstream failed:\n{done.stdout}{done.stderr}")
    return python


@contextlib.contextmanager
def serve_resetkit(args: argparse.Namespace, workdir: Path, executor: str) -> Iterator[Project]:
    db = Database("postgres", f"{args.db_prefix}_timing_{executor}")
    smtp_port = free_port()
    project = Project(executor, PROJECT_NAMES[executor], db, workdir / f"{executor}-mail.log")
    env = django_env(
        {
            **db.env(),
            "BENCH_REDIS_URL": args.redis_url,
            "BENCH_SMTP_PORT": str(smtp_port),
            "BENCH_EXECUTOR": executor,
        }
    )
    db.create()
    try:
        manage(env, "migrate", "--verbosity", "0")
        manage(env, "shell", "-c", CREATE_USER)
        with contextlib.ExitStack() as stack:
            stack.enter_context(smtp_sink(smtp_port, project.sink))
            if executor == "tasks":
                # The task worker, on the same database: polls the queue every
                # --worker-interval seconds while it is empty, runs jobs back to back.
                worker = [
                    sys.executable, "-m", "django", "db_worker",
                    "--interval", str(args.worker_interval),
                    "--no-startup-delay", "--no-reload",
                ]  # fmt: skip
                project.logs["db-worker"] = stack.enter_context(
                    background(worker, env=env, name="db-worker")
                ).log
            start_servers(stack, project, args, "demo.wsgi:application", env)
            yield project
    finally:
        db.drop()
        delete_redis_keys(args.redis_url, db.name)


@contextlib.contextmanager
def serve_upstream(args: argparse.Namespace, workdir: Path) -> Iterator[Project]:
    python = upstream_python()
    if "uvicorn" in args.worker_classes:
        python = with_uvicorn(python)
    db = Database("postgres", f"{args.db_prefix}_timing_upstream")
    smtp_port = free_port()
    project = Project("upstream", PROJECT_NAMES["upstream"], db, workdir / "upstream-mail.log")
    env = dict(
        os.environ,
        **db.env(),
        BENCH_IMPL="upstream",
        BENCH_SMTP_PORT=str(smtp_port),
        BENCH_REDIS_URL=args.redis_url,
        DJANGO_SETTINGS_MODULE="benchsite.settings",
        PYTHONPATH=str(write_site(workdir)),
    )
    db.create()
    try:
        manage(env, "migrate", "--verbosity", "0", python=python)
        manage(env, "shell", "-c", CREATE_USER, python=python)
        with contextlib.ExitStack() as stack:
            stack.enter_context(smtp_sink(smtp_port, project.sink))
            start_servers(stack, project, args, "benchsite.wsgi:application", env,
                          python=python, cwd=workdir)  # fmt: skip
            yield project
    finally:
        db.drop()
        delete_redis_keys(args.redis_url, f"bench-upstream-{db.name}")


def task_statuses(db: Database) -> dict[str, int]:
    """How many jobs of the tasks executor's queue are in each state."""
    with db.connect() as conn:
        rows = conn.execute(
            "SELECT status, count(*) FROM django_tasks_database_dbtaskresult GROUP BY status"
        ).fetchall()
    return {str(status): int(count) for status, count in rows}


# -- a raw HTTP/1.1 client ----------------------------------------------------------------------


class Connection:
    """One TCP connection and HTTP/1.1 by hand: exact control of the headers sent, of when each
    byte arrives, and of reading on to the server's close."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock = socket.create_connection((LOOPBACK, port), timeout=SOCKET_TIMEOUT)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""

    def send(self, path: str, body: bytes, *, close: bool) -> None:
        head = (
            f"POST {path} HTTP/1.1\r\n"
            f"Host: {LOOPBACK}:{self.port}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n" + ("Connection: close\r\n" if close else "") + "\r\n"
        )
        self.sock.sendall(head.encode() + body)

    def _receive(self) -> bytes:
        try:
            data = self.sock.recv(65536)
        except TimeoutError:
            raise BenchmarkError(f"port {self.port}: no data within {SOCKET_TIMEOUT}s") from None
        if len(self.buffer) + len(data) > MAX_RESPONSE_BYTES:
            raise BenchmarkError(f"port {self.port}: answer larger than {MAX_RESPONSE_BYTES} bytes")
        return data

    def read_response(self) -> tuple[int, dict[str, str]]:
        """Read one answer to its last byte (by ``Content-Length``); its status and headers."""
        while b"\r\n\r\n" not in self.buffer:
            data = self._receive()
            if not data:
                raise BenchmarkError(f"port {self.port} closed the connection before answering")
            self.buffer += data
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" not in headers:
            raise BenchmarkError(f"port {self.port} answered without Content-Length: {head!r}")
        length = int(headers["content-length"])
        while len(self.buffer) < length:
            data = self._receive()
            if not data:
                raise BenchmarkError(f"port {self.port} closed the connection mid-answer")
            self.buffer += data
        self.buffer = self.buffer[length:]
        return status, headers

    def read_to_eof(self) -> None:
        """Read until the server closes; anything after the answer is an error."""
        while data := self._receive():
            self.buffer += data
        if self.buffer:
            raise BenchmarkError(f"port {self.port} sent bytes after its answer: {self.buffer!r}")

    def close(self) -> None:
        self.sock.close()


def request_body(kind: str) -> bytes:
    return json.dumps({"email": EXISTING if kind == "existing" else UNKNOWN}).encode()


def check_status(port: int, status: int, expected: int, what: str) -> None:
    if status != expected:
        raise BenchmarkError(f"port {port} answered {status} to {what}, expected {expected}")


def sample_close(server: Server, kind: str) -> tuple[float, float]:
    """A request with ``Connection: close``: seconds to its last byte, and to the server's
    close (EOF), both from opening the connection."""
    body = request_body(kind)
    start = time.perf_counter()
    conn = Connection(server.port)
    try:
        conn.send(REQUEST_URL, body, close=True)
        status, _ = conn.read_response()
        last_byte = time.perf_counter()
        conn.read_to_eof()
        eof = time.perf_counter()
    finally:
        conn.close()
    check_status(server.port, status, 200, f"a request for {kind}")
    return last_byte - start, eof - start


def sample_next(server: Server, kind: str) -> tuple[float, float]:
    """A plain (keep-alive) request, then the probe right after its last byte: seconds from
    opening the connection to the first answer's last byte, and the probe's answer time (on
    the same connection with gthread and uvicorn; on a new one, opened at once, with sync)."""
    body = request_body(kind)
    start = time.perf_counter()
    conn = Connection(server.port)
    try:
        conn.send(REQUEST_URL, body, close=False)
        status, headers = conn.read_response()
        last_byte = time.perf_counter()
        kept_alive = headers.get("connection", "").lower() != "close"
        if server.worker_class in KEEP_ALIVE:
            if not kept_alive:
                raise BenchmarkError(
                    f"port {server.port} ({server.worker_class}) did not keep the connection"
                )
            probe_start = time.perf_counter()
            conn.send(VALIDATE_URL, PROBE_BODY, close=False)
        else:
            if kept_alive:
                raise BenchmarkError(f"port {server.port} (sync) kept a connection alive")
            conn.close()
            probe_start = time.perf_counter()
            conn = Connection(server.port)
            conn.send(VALIDATE_URL, PROBE_BODY, close=False)
        probe_status, _ = conn.read_response()
        probe_end = time.perf_counter()
    finally:
        conn.close()
    check_status(server.port, status, 200, f"a request for {kind}")
    check_status(server.port, probe_status, PROBE_STATUS, "the probe (bogus-token validate)")
    return last_byte - start, probe_end - probe_start


def run_sample(project: Project, server: Server, sample_type: str, kind: str, keep: bool) -> None:
    if kind == "existing":
        project.existing_requests += 1
    if sample_type == "close":
        _, closed = sample_close(server, kind)
        if keep:
            server.times["close", kind].append(closed)
    else:
        last_byte, probe = sample_next(server, kind)
        if keep:
            server.times["last_byte", kind].append(last_byte)
            server.times["next", kind].append(probe)


def measure(projects: Sequence[Project], args: argparse.Namespace) -> None:
    """``--warm-up`` untimed blocks, then ``--requests`` blocks, each in its own random order."""
    rng = random.Random(args.seed)
    plan = [
        (project, server, sample_type, kind)
        for project in projects
        for server in project.servers.values()
        for sample_type in SAMPLE_TYPES
        for kind in KINDS
    ]
    for _ in range(args.warm_up):
        for item in plan:
            run_sample(*item, keep=False)
    # Every e-mail of the warm-up delivered before the first timed request: the executors and
    # the task worker work, and none of the warm-up's work overlaps the measurement.
    mails = wait_for_mail(projects, seconds=60)
    for project in projects:
        if mails[project.key] != project.existing_requests:
            logs = "\n".join(f"--- {name}\n{tail(log)}" for name, log in project.logs.items())
            raise BenchmarkError(
                f"{project.name}: {mails[project.key]} e-mails after the warm-up, expected "
                f"{project.existing_requests}\n{logs}"
            )
    started = time.monotonic()
    step = max(1, args.requests // 5)
    for block in range(args.requests):
        rng.shuffle(plan)
        for item in plan:
            time.sleep(args.pause)
            run_sample(*item, keep=True)
        if (block + 1) % step == 0:
            print(f"  {block + 1}/{args.requests} blocks, {time.monotonic() - started:.0f} s",
                  flush=True)  # fmt: skip


def wait_for_mail(projects: Sequence[Project], seconds: float) -> dict[str, int]:
    """Wait (at most ``seconds``) until every sink holds a mail per request for the existing
    account; return the counts. The executors e-mail after answering, the task worker later."""
    deadline = time.monotonic() + seconds
    while True:
        counts = {p.key: len(count_lines(p.sink)) for p in projects}
        if all(counts[p.key] >= p.existing_requests for p in projects):
            break
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    time.sleep(0.5)  # and no more than that
    return {p.key: len(count_lines(p.sink)) for p in projects}


# -- statistics -------------------------------------------------------------------------------


def threshold_accuracy(existing: Sequence[float], unknown: Sequence[float], seed: int) -> float:
    """Held-out accuracy of the best one-threshold classifier, by 10-fold cross-validation.

    Each fold's threshold and direction ("slower means existing", or faster) are chosen on the
    other nine folds, then scored on it. Chance is 0.5.
    """
    x = np.array([*existing, *unknown])
    y = np.array([1] * len(existing) + [0] * len(unknown))
    order = np.random.default_rng(seed).permutation(len(x))
    folds = np.array_split(order, 10)
    correct = 0
    for held_out in folds:
        train = np.setdiff1d(order, held_out)
        threshold, slower_means_existing = fit_threshold(x[train], y[train])
        predicted = (x[held_out] > threshold) == slower_means_existing
        correct += int(np.sum(predicted == (y[held_out] == 1)))
    return correct / len(x)


def fit_threshold(x: np.ndarray, y: np.ndarray) -> tuple[float, bool]:
    """The threshold and direction with the best accuracy on ``(x, y)``."""
    values = np.sort(np.unique(x))
    candidates = np.concatenate(([values[0] - 1], (values[:-1] + values[1:]) / 2))
    above = x[None, :] > candidates[:, None]  # (candidates, samples)
    hits = np.sum(above == (y[None, :] == 1), axis=1)  # "slower means existing"
    best_up, best_down = int(np.argmax(hits)), int(np.argmin(hits))
    if hits[best_up] >= len(x) - hits[best_down]:
        return float(candidates[best_up]), True
    return float(candidates[best_down]), False


@dataclass
class Cell:
    median_existing_ms: float
    median_unknown_ms: float
    p_value: float
    accuracy: float


def summarise(server: Server, observable: str, seed: int) -> Cell:
    existing, unknown = server.times[observable, "existing"], server.times[observable, "unknown"]
    return Cell(
        median_existing_ms=float(np.median(existing)) * 1000,
        median_unknown_ms=float(np.median(unknown)) * 1000,
        p_value=float(mannwhitneyu(existing, unknown, alternative="two-sided").pvalue),
        accuracy=threshold_accuracy(existing, unknown, seed),
    )


def print_table(
    groups: Sequence[str], header: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool
) -> None:
    """Two label columns, then for each of ``groups`` (a project) ``len(header) - 2`` / groups
    columns; text with a group header line, or Markdown with the group in each column title."""
    per_group = (len(header) - 2) // len(groups)
    if markdown:
        titles = [*header[:2]]
        for index, title in enumerate(header[2:]):
            titles.append(f"{groups[index // per_group]}: {title}" if index % per_group == 0
                          else title)  # fmt: skip
        print("| " + " | ".join(titles) + " |")
        print("|---|---|" + "---:|" * (len(header) - 2))
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for group_index, group in enumerate(groups):  # a group wider than its columns widens them
        first = 2 + group_index * per_group
        span = sum(widths[first : first + per_group]) + 2 * (per_group - 1)
        if len(group) > span:
            widths[first] += len(group) - span
    line = [" " * widths[0], " " * widths[1]]
    for group_index, group in enumerate(groups):
        first = 2 + group_index * per_group
        line.append(group.rjust(sum(widths[first : first + per_group]) + 2 * (per_group - 1)))
    print("  ".join(line).rstrip())
    for row in [header, *rows]:
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [cell.rjust(width) for cell, width in zip(row[2:], widths[2:], strict=True)]
        print("  ".join(cells))


def report(
    projects: Sequence[Project], cells: dict, args: argparse.Namespace, markdown: bool
) -> None:
    """One table: a row per observable and worker class; per project the accuracy and the
    medians (existing / unknown). Then the Mann-Whitney U p-values, laid out alike."""
    groups = [p.name for p in projects]
    rows = []
    for observable, label in OBSERVABLES.items():
        for worker_class in args.worker_classes:
            row = [label, worker_class]
            for project in projects:
                cell = cells[project.key, worker_class, observable]
                medians = f"{cell.median_existing_ms:.2f} / {cell.median_unknown_ms:.2f} ms"
                row += [f"{cell.accuracy:.1%}", medians]
            rows.append(row)
    header = ["observable", "server", *["accuracy", "median existing / unknown"] * len(groups)]
    print_table(groups, header, rows, markdown)
    print()
    rows = [
        [label, worker_class,
         *(f"{cells[p.key, worker_class, observable].p_value:.2g}" for p in projects)]
        for observable, label in OBSERVABLES.items()
        for worker_class in args.worker_classes
    ]  # fmt: skip
    print_table(groups, ["observable", "server", *["M-W U p"] * len(groups)], rows, markdown)


def null_accuracies(per_class: int, seed: int, draws: int = 1000) -> np.ndarray:
    """Accuracies the classifier reaches when the two classes do not differ at all.

    It only looks at the order of the samples, so shuffled labels on any distinct values give
    its exact chance distribution for this sample size.
    """
    rng = np.random.default_rng(seed)
    values = np.arange(2 * per_class, dtype=float)
    return np.array(
        [
            threshold_accuracy(*np.split(rng.permutation(values), 2), seed=seed + draw)
            for draw in range(draws)
        ]
    )


def dump(path: Path, projects: Sequence[Project], args: argparse.Namespace) -> None:
    data = {
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "seconds": {
            f"{p.key}/{s.worker_class}/{observable}/{kind}": values
            for p in projects
            for s in p.servers.values()
            for (observable, kind), values in s.times.items()
        },
    }
    path.write_text(json.dumps(data, indent=1))


def main() -> int:
    args = parse_args()
    exit_on_sigterm()
    began = time.monotonic()
    try:
        with (
            tempfile.TemporaryDirectory(prefix="resetkit-timing-") as tmp,
            contextlib.ExitStack() as stack,
        ):
            workdir = Path(tmp)
            projects = [stack.enter_context(serve_upstream(args, workdir))]
            for executor in args.executors:
                projects.append(stack.enter_context(serve_resetkit(args, workdir, executor)))
            set_up = time.monotonic() - began
            servers = sum(len(p.servers) for p in projects)
            per_block = servers * len(SAMPLE_TYPES) * len(KINDS)
            print(f"measuring: {servers} servers, {args.requests} blocks of {per_block} samples",
                  flush=True)  # fmt: skip
            measure(projects, args)
            measured = time.monotonic() - began - set_up
            mails = wait_for_mail(projects, seconds=120)
            tasks = {p.key: task_statuses(p.db) for p in projects if p.key == "tasks"}
    except BenchmarkError as exc:
        exit_on(exc)
    total = time.monotonic() - began

    cells = {
        (p.key, s.worker_class, observable): summarise(s, observable, args.seed)
        for p in projects
        for s in p.servers.values()
        for observable in OBSERVABLES
    }
    print()
    print(f"{args.requests} requests per class (existing, unknown) in every cell, interleaved; "
          f"pause {args.pause * 1000:.0f} ms; seed {args.seed}")  # fmt: skip
    print(f"one worker per server (gunicorn sync; gthread with {args.threads} threads; "
          f"uvicorn), PostgreSQL, SMTP to a local sink; "
          f"db_worker --interval {args.worker_interval}; "
          f"{os.cpu_count()} CPUs, Python {platform.python_version()}")  # fmt: skip
    print("server close: Connection: close, until EOF. next request: a bogus-token validate "
          "sent after the last byte (gthread, uvicorn: same connection; sync: a new one)"
          )  # fmt: skip
    print()
    report(projects, cells, args, markdown=False)
    if args.markdown:
        print()
        report(projects, cells, args, markdown=True)
    print("\naccuracy 50% = chance: the time does not tell the two apart")
    if args.json:
        dump(args.json, projects, args)
        print(f"samples written to {args.json}")

    failed = False
    print()
    for project in projects:
        line = f"{project.name}: {mails[project.key]} e-mails, {project.existing_requests} expected"
        if project.key in tasks:
            line += f"; task results {tasks[project.key]}"
        print(line)
        if mails[project.key] != project.existing_requests:
            print(f"FAILED: {project.name} sent {mails[project.key]} e-mails, "
                  f"expected {project.existing_requests}")  # fmt: skip
            failed = True
    print(f"wall clock: set-up {set_up:.0f} s, measuring {measured:.0f} s, total {total:.0f} s")
    if args.inline:
        print("control run (--inline): no accuracy limit applies")
        return 1 if failed else 0
    return verdict(cells, args) or (1 if failed else 0)


def verdict(cells: dict, args: argparse.Namespace) -> int:
    """1 if a resetkit cell (threads, tasks) is above ``--max-accuracy`` (and, with ``--alpha``,
    its Mann-Whitney U p-value below ``alpha`` / the number of such cells), else 0."""
    limited = {key: cell for key, cell in cells.items() if key[0] in EXECUTORS}
    null = null_accuracies(args.requests, args.seed)
    by_chance = float(np.mean(null > args.max_accuracy))
    print(f"chance alone: with {args.requests} per class a cell where the two classes do not "
          f"differ at all is above {args.max_accuracy:.0%} with probability {by_chance:.1%} "
          f"(99% of label shuffles stay at or below {np.quantile(null, 0.99):.1%}); at least one "
          f"of {len(limited)} such cells: {1 - (1 - by_chance) ** len(limited):.0%}")  # fmt: skip
    p_limit = args.alpha / len(limited) if args.alpha else None
    failed = 0
    for (key, worker_class, observable), cell in limited.items():
        if cell.accuracy <= args.max_accuracy:
            continue
        where = f"{PROJECT_NAMES[key]}, {OBSERVABLES[observable]} under {worker_class}"
        if p_limit is not None and cell.p_value >= p_limit:
            above = f"accuracy {cell.accuracy:.1%} > {args.max_accuracy:.0%}"
            print(f"not significant: {where}: {above}, p = {cell.p_value:.2g} >= {p_limit:.2g}")
            continue
        print(f"FAILED: {where}: accuracy {cell.accuracy:.1%} > {args.max_accuracy:.0%}"
              + (f" (p = {cell.p_value:.2g} < {p_limit:.2g})" if p_limit else ""))  # fmt: skip
        failed = 1
    if not failed:
        print(f"ok: no resetkit accuracy above {args.max_accuracy:.0%}"
              + (f" with p < {p_limit:.2g}" if p_limit else ""))  # fmt: skip
    return failed


if __name__ == "__main__":
    sys.exit(main())
