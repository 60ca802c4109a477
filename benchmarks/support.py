"""The plumbing every measurement shares: paths, scratch databases, Redis keys, the upstream
virtualenv, processes (gunicorn, an SMTP sink) and a few HTTP helpers.

Everything listens on and talks to 127.0.0.1 only, and everything started here is stopped
here: servers run in their own process group, which is ended when the ``with`` block exits,
however it exits. Only the standard library is imported at module level, so the agent can
import this module inside the upstream virtualenv too.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "example"
#: Generated files of the benchmarks (git-ignored): the upstream virtualenv, run.py's results.
BENCH_DIR = REPO / ".bench"
UPSTREAM = "django-rest-passwordreset==1.6.0"
LOOPBACK = "127.0.0.1"


class BenchmarkError(RuntimeError):
    """The set-up failed (a service, a server); the message says what to look at."""


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def exit_on(exc: BaseException) -> None:
    """Print a set-up failure without a traceback and exit with status 2."""
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(2)


def exit_on_sigterm() -> None:
    """Turn SIGTERM into ``SystemExit``, so that ``finally`` blocks stop servers and drop
    databases when a CI timeout or a parent stops the script."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


# -- accounts and tokens of the generated data --------------------------------------------------


def key_for(n: int) -> str:
    """The known token of benchmark user ``n`` (40 hex characters, like upstream's)."""
    return hashlib.sha256(f"bench-token-{n}".encode()).hexdigest()[:40]


def email_for(n: int) -> str:
    return f"user{n}@example.com"


# -- services -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    """A scratch PostgreSQL or MariaDB database the script creates, and drops when done."""

    kind: str  # "postgres" or "mariadb"
    name: str
    host: str = LOOPBACK

    @property
    def port(self) -> int:
        return 5432 if self.kind == "postgres" else 3306

    def env(self) -> dict[str, str]:
        """The ``BENCH_DB*`` variables of ``benchmarks.settings`` and the generated site."""
        return {"BENCH_DB": self.kind, "BENCH_DB_NAME": self.name, "BENCH_DB_HOST": self.host}

    def connect(self, autocommit: bool = True):  # type: ignore[no-untyped-def]
        """A connection to this database (PostgreSQL only)."""
        import psycopg

        return psycopg.connect(
            host=self.host, port=self.port, user="postgres", dbname=self.name, autocommit=autocommit
        )

    def _execute(self, *statements: str) -> None:
        if self.kind == "postgres":
            with Database("postgres", "postgres", self.host).connect() as conn:
                for statement in statements:
                    conn.execute(statement)
        else:
            import MySQLdb

            conn = MySQLdb.connect(host=self.host, port=self.port, user="root", password="")
            try:
                for statement in statements:
                    conn.cursor().execute(statement)
            finally:
                conn.close()

    def create(self) -> None:
        self.drop()
        if self.kind == "postgres":
            self._execute(f'CREATE DATABASE "{self.name}"')
        else:
            self._execute(f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4")

    def drop(self) -> None:
        if self.kind == "postgres":
            self._execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        else:
            self._execute(f"DROP DATABASE IF EXISTS `{self.name}`")


def delete_redis_keys(url: str, prefix: str) -> None:
    """Remove the keys a run left under ``prefix`` (never the whole Redis database)."""
    import redis

    client = redis.Redis.from_url(url)
    pattern = "".join(f"\\{c}" if c in "*?[]\\" else c for c in f"{prefix}:") + "*"
    try:
        keys = list(client.scan_iter(match=pattern, count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    finally:
        client.close()


# -- the upstream virtualenv --------------------------------------------------------------------


def upstream_python() -> str:
    """``.bench/venv-upstream``'s Python, with django-rest-passwordreset 1.6.0 and the Django,
    DRF and gunicorn versions this interpreter runs resetkit with (installed once), so the
    libraries are the only difference."""
    from importlib.metadata import version

    venv = BENCH_DIR / "venv-upstream"
    python = venv / "bin" / "python"
    pins = [
        UPSTREAM,
        *(f"{name}=={version(name)}" for name in ("Django", "djangorestframework", "gunicorn")),
        "psycopg[binary]>=3.1.8",
        "redis>=5.0",
    ]
    stamp = venv / ".installed"
    if stamp.exists() and stamp.read_text() == "\n".join(pins):
        return str(python)
    log(f"installing {', '.join(pins)} into {venv}")
    for argv in (
        [sys.executable, "-m", "venv", "--clear", str(venv)],
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *pins],
    ):
        done = subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False)
        if done.returncode:
            raise BenchmarkError(f"{' '.join(argv)} failed:\n{done.stdout}{done.stderr}")
    stamp.write_text("\n".join(pins))
    return str(python)


# -- Django processes ---------------------------------------------------------------------------


def django_env(extra: Mapping[str, str], settings: str = "benchmarks.settings") -> dict[str, str]:
    """The environment of a process running the demo with ``benchmarks.settings``: the resetkit
    of this working tree, whatever the virtualenv has installed."""
    env = dict(os.environ)
    env.update(extra)
    env["DJANGO_SETTINGS_MODULE"] = settings
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(EXAMPLE)])
    return env


def manage(env: Mapping[str, str], *args: str, python: str = sys.executable) -> str:
    """Run a management command under ``env``'s settings; its output, or fail loudly."""
    done = subprocess.run(
        [python, "-m", "django", *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode:
        raise BenchmarkError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def die_with_parent() -> None:
    """In a child before ``exec``: get SIGTERM when the process that started it dies, even by
    SIGKILL (Linux ``PR_SET_PDEATHSIG``), so no server outlives its script. Elsewhere a no-op."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Running(NamedTuple):
    pid: int
    log: Path


@contextlib.contextmanager
def background(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path = REPO, name: str
) -> Iterator[Running]:
    """Run ``argv`` in its own process group for the ``with`` block; yield its pid and log.

    On exit the whole group gets SIGTERM, then SIGKILL if it is still there after 10 s, and
    the log is deleted (errors quote its end).
    """
    with (
        tempfile.TemporaryDirectory(prefix=f"resetkit-{name}-") as log_dir,
        (Path(log_dir) / f"{name}.log").open("wb") as out,
    ):
        log_path = Path(out.name)
        proc = subprocess.Popen(
            list(argv), env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=die_with_parent,
        )  # fmt: skip
        try:
            yield Running(proc.pid, log_path)
            if proc.poll() is not None:
                raise BenchmarkError(f"{name} exited early ({proc.returncode}):\n{tail(log_path)}")
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def count_lines(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []


def gunicorn_argv(
    app: str,
    port: int,
    *,
    workers: int,
    threads: int = 1,
    worker_class: str | None = None,
    python: str = sys.executable,
    preload: bool = True,
) -> list[str]:
    """gunicorn, by default with the app loaded before forking (every worker ready at once).

    ``worker_class`` unset leaves gunicorn's choice: ``sync``, or ``gthread`` when ``threads``
    is above 1. ``sync`` takes one connection at a time and never keeps one alive.
    """
    return [
        python, "-m", "gunicorn", app,
        "--bind", f"{LOOPBACK}:{port}",
        "--workers", str(workers),
        "--threads", str(threads),
        *(["--worker-class", worker_class] if worker_class else []),
        *(["--preload"] if preload else []),
        "--timeout", "120",
        "--graceful-timeout", "5",
        "--log-level", "warning",
    ]  # fmt: skip


def wait_until_answering(port: int, path: str, body: bytes, log: Path, seconds: float = 60) -> None:
    """Poll ``path`` until the server answers anything below 500."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            status, _ = post(port, path, body, timeout=5)
        except OSError:
            time.sleep(0.2)
            continue
        if status < 500:
            return
        raise BenchmarkError(f"server on port {port} answers {status}:\n{tail(log)}")
    raise BenchmarkError(f"server on port {port} did not answer within {seconds}s:\n{tail(log)}")


def post(
    port: int, path: str, body: bytes, timeout: float = 30, headers: Mapping[str, str] = {}
) -> tuple[int, bytes]:
    """POST a JSON ``body`` on a new connection; return the status and the body."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        headers = {"Content-Type": "application/json", **headers}
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@contextlib.contextmanager
def smtp_sink(port: int, count_file: Path, python: str = sys.executable) -> Iterator[Path]:
    """An SMTP server on the loopback ``port`` that accepts everything and counts it
    (:class:`benchmarks.server.CountingSink`)."""
    argv = [
        python, "-m", "aiosmtpd", "--nosetuid", "--listen", f"{LOOPBACK}:{port}",
        "--class", "benchmarks.server.CountingSink", str(count_file),
    ]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(REPO))
    with background(argv, env=env, name="smtp-sink") as (_, log_path):
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection((LOOPBACK, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise BenchmarkError(f"SMTP sink did not start:\n{tail(log_path)}") from None
                time.sleep(0.1)
        yield log_path


def run_json(argv: Sequence[str], env: Mapping[str, str], timeout: float) -> object:
    """Run ``argv``; the JSON document on its last line of output."""
    done = subprocess.run(
        list(argv), env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode:
        raise BenchmarkError(f"{' '.join(argv[1:])} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def machine() -> str:
    """A one-line description of this machine, for the report."""
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    return f"{os.cpu_count()} cores ({cpu}){memory}, shared"
