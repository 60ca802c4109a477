"""Plumbing shared by ``race.py`` and ``timing_oracle.py``: databases, gunicorn, HTTP, SMTP.

Everything listens on and talks to 127.0.0.1 only, and everything started here is stopped
here: servers run in their own process group, which is ended when the ``with`` block exits,
however it exits.

Two pieces run inside the servers rather than in the scripts:

* :func:`counting_application`, the demo's WSGI application plus receivers that append one
  line per ``pre_password_reset`` / ``post_password_reset`` to ``$BENCH_SIGNAL_LOG``, so a
  script can count what several worker processes sent;
* :class:`CountingSink`, an aiosmtpd handler that accepts every message and appends one line
  per message to a file (``python -m aiosmtpd -c race_support.CountingSink FILE``).
"""

from __future__ import annotations

import contextlib
import http.client
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
from typing import Any

REPO = Path(__file__).resolve().parent.parent
EXAMPLE = REPO / "example"
BENCHMARKS = REPO / "benchmarks"
LOOPBACK = "127.0.0.1"


class BenchmarkError(RuntimeError):
    """The set-up failed (a service, a server); the message says what to look at."""


# -- services -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    """A scratch database the script creates, and drops when done."""

    kind: str  # "postgres" or "mariadb"
    name: str
    host: str = LOOPBACK

    @property
    def port(self) -> int:
        return 5432 if self.kind == "postgres" else 3306

    def env(self) -> dict[str, str]:
        """The ``BENCH_DB*`` variables of ``race_settings`` for this database."""
        return {"BENCH_DB": self.kind, "BENCH_DB_NAME": self.name, "BENCH_DB_HOST": self.host}

    def _execute(self, *statements: str) -> None:
        if self.kind == "postgres":
            import psycopg

            with psycopg.connect(
                host=self.host, port=self.port, user="postgres", dbname="postgres", autocommit=True
            ) as conn:
                for statement in statements:
                    conn.execute(statement)  # type: ignore[call-overload]
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
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def django_env(extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of a process running the demo with ``race_settings``: the resetkit of
    this working tree, whatever the virtualenv has installed."""
    env = dict(os.environ)
    env.update(extra)
    env["DJANGO_SETTINGS_MODULE"] = "race_settings"
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), str(EXAMPLE), str(BENCHMARKS)])
    return env


def manage(env: Mapping[str, str], *args: str, python: str = sys.executable) -> None:
    """Run a management command under ``env``'s settings; fail loudly with its output."""
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


# -- servers ------------------------------------------------------------------------------------


def die_with_parent() -> None:
    """In a child before ``exec``: get SIGTERM when the process that started it dies, even by
    SIGKILL (Linux ``PR_SET_PDEATHSIG``), so no server outlives its script. Elsewhere a no-op."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def exit_on_sigterm() -> None:
    """Turn SIGTERM into ``SystemExit``, so that ``finally`` blocks stop servers and drop
    databases when a CI timeout or a parent stops the script."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


@contextlib.contextmanager
def background(
    argv: Sequence[str], *, env: Mapping[str, str], cwd: Path = REPO, name: str
) -> Iterator[Path]:
    """Run ``argv`` in its own process group for the ``with`` block; yield its log file.

    On exit the whole group gets SIGTERM, then SIGKILL if it is still there after 10 s, and
    the log is deleted (errors quote its end).
    """
    with (
        tempfile.TemporaryDirectory(prefix=f"resetkit-{name}-") as log_dir,
        (Path(log_dir) / f"{name}.log").open("wb") as out,
    ):
        log = Path(out.name)
        proc = subprocess.Popen(
            list(argv), env=dict(env), cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=die_with_parent,
        )  # fmt: skip
        try:
            yield log
            if proc.poll() is not None:
                raise BenchmarkError(f"{name} exited early ({proc.returncode}):\n{tail(log)}")
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


def gunicorn_argv(
    app: str,
    port: int,
    *,
    workers: int,
    threads: int,
    worker_class: str | None = None,
    python: str = sys.executable,
) -> list[str]:
    """gunicorn with the app loaded before forking (every worker ready at once).

    ``worker_class`` unset leaves gunicorn's choice: ``sync``, or ``gthread`` when ``threads``
    is above 1. ``sync`` takes one connection at a time and never keeps one alive.
    """
    return [
        python, "-m", "gunicorn", app,
        "--bind", f"{LOOPBACK}:{port}",
        "--workers", str(workers),
        "--threads", str(threads),
        *(["--worker-class", worker_class] if worker_class else []),
        "--preload",
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


# -- HTTP ---------------------------------------------------------------------------------------


def post(port: int, path: str, body: bytes, timeout: float = 30) -> tuple[int, bytes]:
    """POST a JSON ``body`` on a new connection; return the status and the body."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


# -- inside the servers -------------------------------------------------------------------------


def counting_application() -> Any:
    """The demo's WSGI application, counting the reset signals in ``$BENCH_SIGNAL_LOG``.

    gunicorn calls this factory (``race_support:counting_application()``). Each line is
    written with one ``write()`` on a file opened in append mode, so lines from concurrent
    workers do not interleave.
    """
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    from resetkit.signals import post_password_reset, pre_password_reset

    path = os.environ["BENCH_SIGNAL_LOG"]

    def record(name: str) -> Any:
        def receiver(sender: Any, user: Any, **kwargs: Any) -> None:
            line = f"{name} {user.pk}\n".encode()
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

        return receiver

    # Strong references: the receivers live as long as the application.
    counting_application.receivers = [record("pre"), record("post")]  # type: ignore[attr-defined]
    pre_password_reset.connect(counting_application.receivers[0])  # type: ignore[attr-defined]
    post_password_reset.connect(counting_application.receivers[1])  # type: ignore[attr-defined]
    return application


class CountingSink:
    """aiosmtpd handler: accept every message and append a line per message to a file."""

    def __init__(self, path: str) -> None:
        self.path = path

    @classmethod
    def from_cli(cls, parser: Any, *args: str) -> CountingSink:
        if len(args) != 1:
            parser.error("CountingSink takes one argument: the file to count messages in")
        return cls(args[0])

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with open(self.path, "a") as out:
            out.write(f"{len(envelope.content)} {','.join(envelope.rcpt_tos)}\n")
        return "250 Message accepted for delivery"


@contextlib.contextmanager
def smtp_sink(port: int, count_file: Path, python: str = sys.executable) -> Iterator[Path]:
    """An SMTP server on the loopback ``port`` that accepts everything and counts it."""
    argv = [
        python, "-m", "aiosmtpd", "--nosetuid", "--listen", f"{LOOPBACK}:{port}",
        "--class", "race_support.CountingSink", str(count_file),
    ]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(BENCHMARKS))
    with background(argv, env=env, name="smtp-sink") as log:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection((LOOPBACK, port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise BenchmarkError(f"SMTP sink did not start:\n{tail(log)}") from None
                time.sleep(0.1)
        yield log


def count_lines(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []


def exit_on(exc: BaseException) -> None:
    """Print a set-up failure without a traceback and exit with status 2."""
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(2)
