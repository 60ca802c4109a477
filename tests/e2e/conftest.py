"""The distributed issuing flow for real: gunicorn, a task worker, PostgreSQL, Redis, SMTP.

Everything here is marked ``e2e`` and deselected by default (pyproject's ``addopts``);
``make e2e`` selects it with ``RESETKIT_E2E=1``. For each task backend a module-scoped
:class:`Site` is built from nothing and taken down afterwards, however the tests end:

* a scratch PostgreSQL database with a unique name, migrated, with a few users (dropped with
  ``DROP DATABASE ... WITH (FORCE)``);
* an SMTP sink on a free loopback port, in this process (aiosmtpd), keeping every message;
* gunicorn serving ``tests/e2e/project`` (resetkit's URLs), whose e-mail backend is Django's
  dummy one: an e-mail that reaches the sink was sent by the worker;
* the backend's worker: ``db_worker`` for django-tasks-db, ``rqworker`` for django-tasks-rq,
  listening on the ``resets`` queue only.

Servers run in their own process group, which gets SIGTERM (twice) then SIGKILL; they also get
SIGTERM if this process dies (``PR_SET_PDEATHSIG``). Everything listens on and talks to
127.0.0.1. The RQ runs use a Redis database of their own (``RESETKIT_E2E_REDIS_URL``, default
``redis://127.0.0.1:6379/11``) and delete only the ``rq:*`` keys and their cache prefix; the
two-node run (``test_two_nodes.py``: two gunicorns and two ``db_worker`` processes, built from
these helpers) keeps its shared cache there too, and deletes only that cache's keys.

Unreachable services or missing packages fail the tests when ``RESETKIT_E2E=1`` (CI) and
skip them otherwise, saying what is missing.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import http.client
import json
import os
import pickle
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from benchmarks.support import die_with_parent, free_port, gunicorn_argv, tail

REPO_ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"
SETTINGS_MODULE = "tests.e2e.project.settings"
BACKENDS = ("database", "rq")
QUEUE = "resets"

PG_HOST = os.environ.get("RESETKIT_E2E_PG_HOST", LOOPBACK)
PG_PORT = os.environ.get("RESETKIT_E2E_PG_PORT", "5432")
PG_USER = os.environ.get("RESETKIT_E2E_PG_USER", "postgres")
REDIS_URL = os.environ.get("RESETKIT_E2E_REDIS_URL", "redis://127.0.0.1:6379/11")

#: Upper bounds of every wait: start-up, one e-mail, one management command.
START_TIMEOUT = 30.0
MAIL_TIMEOUT = 30.0
COMMAND_TIMEOUT = 120.0

OLD_PASSWORD = "old-Passw0rd!e2e"
NEW_PASSWORD = "a-much-better-one-42"
#: The accounts each site starts with: username -> e-mail address.
USERS = {
    "alice": "alice@example.com",
    "carol": "carol@example.com",
    "dave": "dave@example.com",
    "bob": "bob@tenant.example",
}
#: The link of resetkit.contrib.email (RESET_URL in the project's settings).
LINK = re.compile(r"https://app\.example/reset\?token=([^\s\"<>]+)")

PACKAGES = {
    "database": ["gunicorn", "aiosmtpd", "psycopg", "django_tasks", "django_tasks_db"],
    "rq": ["gunicorn", "aiosmtpd", "psycopg", "redis", "django_tasks", "django_rq",
           "django_tasks_rq"],
    # tests/e2e/test_servers.py: the default ThreadExecutor in the web process, no worker.
    "threads": ["gunicorn", "uvicorn", "aiosmtpd", "psycopg"],
    # tests/e2e/test_two_nodes.py: two web nodes and two db_workers, the limits in Redis.
    "nodes": ["gunicorn", "aiosmtpd", "psycopg", "redis", "django_tasks", "django_tasks_db"],
}  # fmt: skip
#: The backends whose run needs Redis (RQ's queues, or the limits' shared cache).
NEEDS_REDIS = ("rq", "nodes")


def e2e_required() -> bool:
    return os.environ.get("RESETKIT_E2E") == "1"


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this directory ``e2e``, so ``make test`` never starts one."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failed test's report ends with the logs of its site's servers."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    for value in getattr(item, "funcargs", {}).values():
        for site in value if isinstance(value, tuple) else (value,):
            if isinstance(site, Site):
                for name, text in site.log_tails():
                    report.sections.append((f"{site.backend}: {name} log (last lines)", text))


# -- services -----------------------------------------------------------------------------------


def missing_services(backend: str) -> list[str]:
    """What this backend's run needs and cannot have: packages, PostgreSQL, Redis."""
    import importlib.util

    problems = [
        f"the Python package {name!r} is not installed (pip install -e '.[dev,bench]')"
        for name in PACKAGES[backend]
        if importlib.util.find_spec(name) is None
    ]
    if problems:
        return problems
    import psycopg

    try:
        psycopg.connect(
            host=PG_HOST, port=PG_PORT, user=PG_USER, dbname="postgres", connect_timeout=5
        ).close()
    except psycopg.Error as exc:
        problems.append(f"PostgreSQL at {PG_HOST}:{PG_PORT} (user {PG_USER}): {exc}".strip())
    if backend in NEEDS_REDIS:
        import redis

        client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5, socket_timeout=5)
        try:
            client.ping()
        except redis.RedisError as exc:
            problems.append(f"Redis at {REDIS_URL}: {exc}")
        finally:
            client.close()
    return problems


def require_services(backend: str) -> None:
    problems = missing_services(backend)
    if not problems:
        return
    said = "; ".join(" ".join(problem.split()).rstrip(".") for problem in problems)
    text = f"end-to-end run on the {backend!r} task backend impossible: {said}"
    if e2e_required():
        pytest.fail(f"{text} (RESETKIT_E2E=1: the services must be there)", pytrace=False)
    pytest.skip(f"{text}. Set RESETKIT_E2E=1 to make this a failure (as CI does).")


def pg_connect(dbname: str) -> Any:
    import psycopg

    return psycopg.connect(
        host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname, autocommit=True,
        connect_timeout=5,
    )  # fmt: skip


@contextlib.contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for the ``with`` block; dropped however it ends."""
    name = f"resetkit_e2e_{backend}_{os.getpid()}_{secrets.token_hex(4)}"
    with pg_connect("postgres") as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with pg_connect("postgres") as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def redis_keys_cleared(prefix: str, *, rq: bool = True) -> Iterator[None]:
    """Delete the cache's keys (``prefix``), and RQ's unless ``rq`` is false, before and after
    the block."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5, socket_timeout=5)

    def clear() -> None:
        for pattern in [f"{prefix}:*", *(["rq:*"] if rq else [])]:
            keys = list(client.scan_iter(match=pattern, count=1000))
            if keys:
                client.delete(*keys)

    try:
        clear()
        yield
    finally:
        try:
            clear()
        finally:
            client.close()


# -- the SMTP sink ------------------------------------------------------------------------------


@dataclass
class Mail:
    recipients: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def token(self) -> str:
        """The token of the reset link in the plain-text body."""
        found = LINK.search(self.text)
        assert found, f"no reset link in the e-mail:\n{self.text}"
        return unquote(found.group(1))


class MailSink:
    """aiosmtpd handler: accept every message and keep it, parsed; ``delay`` seconds before
    accepting each one (a slow mail server)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.mails: list[Mail] = []
        self.changed = threading.Condition()
        self.delay = delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.changed:
            self.mails.append(Mail(list(envelope.rcpt_tos), message))
            self.changed.notify_all()
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Mail]:
        with self.changed:
            return [mail for mail in self.mails if address in mail.recipients]


@contextlib.contextmanager
def smtp_sink(delay: float = 0.0) -> Iterator[tuple[MailSink, int]]:
    from aiosmtpd.controller import Controller

    sink = MailSink(delay)
    port = free_port()
    controller = Controller(sink, hostname=LOOPBACK, port=port, ready_timeout=START_TIMEOUT)
    controller.start()
    try:
        yield sink, port
    finally:
        controller.stop()


# -- processes ----------------------------------------------------------------------------------


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path


@contextlib.contextmanager
def started(argv: list[str], *, env: dict[str, str], log: Path, name: str) -> Iterator[Process]:
    """Run ``argv`` in its own process group for the block; stop the group after it (SIGTERM,
    again SIGTERM after 5 s, SIGKILL after 10 s)."""
    with log.open("wb") as out:
        popen = subprocess.Popen(
            argv, env=env, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=die_with_parent,
        )  # fmt: skip
    try:
        yield Process(name, popen, log)
    finally:
        # A second SIGTERM is rqworker's cold shutdown: rq 3 can hang in its warm one while
        # unsubscribing (rq/rq#1613).
        for stop_signal in (signal.SIGTERM, signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(popen.pid, stop_signal)
            try:
                popen.wait(timeout=5)
                break
            except subprocess.TimeoutExpired:
                continue


# -- the site -----------------------------------------------------------------------------------


@dataclass
class Site:
    """One backend's running project: its addresses, processes, sink and storage."""

    backend: str
    db_name: str
    env: dict[str, str] = field(repr=False)
    sink: MailSink = field(repr=False)
    workdir: Path = field(repr=False)
    port: int = 0
    processes: list[Process] = field(default_factory=list, repr=False)
    worker_name: str = ""

    # -- commands and processes

    def manage(self, *args: str, role: str = "web") -> str:
        """Run a management command under the site's settings; its standard output."""
        done = subprocess.run(
            [sys.executable, "-m", "django", *args],
            env={**self.env, "RESETKIT_E2E_ROLE": role},
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
            check=False,
        )
        if done.returncode:
            pytest.fail(f"django-admin {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "--no-imports", "-c", code).strip()

    def check_alive(self) -> None:
        for process in self.processes:
            if process.popen.poll() is not None:
                pytest.fail(
                    f"{process.name} exited ({process.popen.returncode}):\n{tail(process.log)}"
                )

    def log_tails(self) -> list[tuple[str, str]]:
        return [(process.name, tail(process.log, 60)) for process in self.processes]

    def wait_for(self, what: str, condition: Callable[[], Any], timeout: float) -> Any:
        """Poll ``condition`` until it returns something true, for at most ``timeout`` s."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            self.check_alive()
            if time.monotonic() > deadline:
                pytest.fail(f"{self.backend}: {what} did not happen within {timeout:.0f}s")
            time.sleep(0.1)

    # -- HTTP

    def post(
        self, path: str, payload: dict[str, Any], headers: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """POST ``payload`` as JSON (plus ``headers``); the status and the decoded body."""
        status, _, body = self.request(
            "POST", path, json.dumps(payload).encode(),
            {"Content-Type": "application/json", **(headers or {})},
        )  # fmt: skip
        try:
            return status, json.loads(body) if body else None
        except ValueError:
            return status, body.decode(errors="replace")

    def get(self, path: str) -> tuple[int, http.client.HTTPMessage, bytes]:
        return self.request("GET", path)

    def request(
        self, method: str, path: str, body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, http.client.HTTPMessage, bytes]:  # fmt: skip
        """One request on a new connection: the status, the headers and the body."""
        conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=30)
        try:
            conn.request(
                method, path, body=body, headers={"User-Agent": "resetkit-e2e", **(headers or {})}
            )
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()

    # -- mail

    def wait_for_mail(self, address: str, count: int = 1) -> Mail:
        """The ``count``-th e-mail to ``address``, once it is there (``MAIL_TIMEOUT``)."""
        mails = self.wait_for(
            f"e-mail #{count} to {address}",
            lambda: (found := self.sink.to(address)) and len(found) >= count and found,
            MAIL_TIMEOUT,
        )
        return mails[count - 1]

    # -- what the task backend stored

    def stored_tasks(self) -> list[StoredTask]:
        return self._rq_jobs() if self.backend == "rq" else self._database_tasks()

    def wait_until_tasks_finished(self) -> list[StoredTask]:
        return self.wait_for(
            "every task finishing",
            lambda: (tasks := self.stored_tasks()) and all(t.finished for t in tasks) and tasks,
            MAIL_TIMEOUT,
        )

    def stored_text(self) -> str:
        """Everything the task backend holds, as text: every row of the task table, or every
        key of the RQ Redis database with job payloads decompressed and unpickled."""
        if self.backend == "database":
            with pg_connect(self.db_name) as conn:
                rows = conn.execute(
                    f'SELECT row_to_json(t)::text FROM "{self._task_table(conn)}" t'
                ).fetchall()
            return "\n".join(row[0] for row in rows)
        return "\n".join(self._redis_dump())

    @staticmethod
    def _task_table(conn: Any) -> str:
        [(table,)] = conn.execute(
            "SELECT tablename FROM pg_tables WHERE tablename LIKE '%dbtaskresult'"
        ).fetchall()
        return str(table)

    def _database_tasks(self) -> list[StoredTask]:
        with pg_connect(self.db_name) as conn:
            rows = conn.execute(
                "SELECT id::text, status, queue_name, task_path, args_kwargs, worker_ids "
                f'FROM "{self._task_table(conn)}" ORDER BY enqueued_at'
            ).fetchall()
        return [
            StoredTask(
                id=row[0], status=row[1], queue=row[2], task_path=row[3],
                args=row[4]["args"], workers=list(row[5]),
                finished=row[1] in ("SUCCESSFUL", "FAILED"), succeeded=row[1] == "SUCCESSFUL",
            )
            for row in rows
        ]  # fmt: skip

    def _redis(self) -> Any:
        import redis

        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5, socket_timeout=5)

    def _rq_jobs(self) -> list[StoredTask]:
        client = self._redis()
        try:
            jobs = []
            for key in client.scan_iter(match="rq:job:*", count=1000):
                if key.count(b":") != 2 or client.type(key) != b"hash":
                    continue
                job = client.hgetall(key)
                func_name, _instance, args, _kwargs = pickle.loads(zlib.decompress(job[b"data"]))
                status = job.get(b"status", b"").decode()
                jobs.append(
                    StoredTask(
                        id=key.decode().rsplit(":", 1)[1],
                        status=status,
                        queue=job.get(b"origin", b"").decode(),
                        task_path=func_name,
                        args=list(args),
                        workers=[job[b"worker_name"].decode()] if job.get(b"worker_name") else [],
                        finished=status in ("finished", "failed"),
                        succeeded=status == "finished",
                        enqueued_at=job.get(b"enqueued_at", b"").decode(),
                    )
                )
            return sorted(jobs, key=lambda job: job.enqueued_at)
        finally:
            client.close()

    def _redis_dump(self) -> Iterator[str]:
        client = self._redis()
        try:
            for key in client.scan_iter(count=1000):
                kind = client.type(key).decode()
                values: list[bytes] = []
                if kind == "string":
                    values = [client.get(key) or b""]
                elif kind == "hash":
                    values = [b for pair in client.hgetall(key).items() for b in pair]
                elif kind == "list":
                    values = client.lrange(key, 0, -1)
                elif kind in ("set",):
                    values = list(client.smembers(key))
                elif kind == "zset":
                    values = [member for member, _ in client.zrange(key, 0, -1, withscores=True)]
                elif kind == "stream":
                    values = [b for _, entry in client.xrange(key) for pair in entry.items()
                              for b in pair]  # fmt: skip
                yield key.decode(errors="replace")
                for value in values:
                    yield from readable(value)
        finally:
            client.close()


def readable(value: bytes) -> Iterator[str]:
    """``value`` as text, plus what it holds when it is zlib-compressed and/or a pickle (RQ's
    job payloads are both)."""
    yield value.decode(errors="replace")
    with contextlib.suppress(zlib.error):
        value = zlib.decompress(value)
        yield value.decode(errors="replace")
    with contextlib.suppress(Exception):
        yield repr(pickle.loads(value))


@dataclass
class StoredTask:
    """One task as its backend stored it."""

    id: str
    status: str
    queue: str
    task_path: str
    args: list[Any]
    workers: list[str]
    finished: bool
    succeeded: bool
    enqueued_at: str = ""

    @property
    def payload(self) -> dict[str, Any]:
        """The job, decoded: the task's one argument is the job as a JSON string."""
        [payload] = self.args
        assert isinstance(payload, str), f"expected the job as a JSON string: {payload!r}"
        decoded: dict[str, Any] = json.loads(payload)
        return decoded


def can_log_in(site: Site, username: str, password: str) -> bool:
    output = site.shell(
        "from django.contrib.auth import authenticate\n"
        f"print(authenticate(username={username!r}, password={password!r}) is not None)"
    )
    assert output in ("True", "False"), output
    return output == "True"


def create_users(site: Site) -> None:
    site.shell(
        "from django.contrib.auth import get_user_model\n"
        f"for username, address in {USERS!r}.items():\n"
        f"    get_user_model().objects.create_user(username, address, {OLD_PASSWORD!r})\n"
    )


def wait_until_serving(site: Site) -> None:
    def answers() -> bool:
        try:
            status, _ = site.post("/api/password_reset/validate_token/", {"token": "nothing"})
        except OSError:
            return False
        assert status == 404, f"gunicorn answers {status} to an unknown token"
        return True

    site.wait_for("gunicorn answering", answers, START_TIMEOUT)


def worker_argv(backend: str, worker_name: str) -> list[str]:
    """The worker command as a project runs it, on the ``resets`` queue only."""
    django_admin = [sys.executable, "-m", "django"]
    if backend == "database":
        return [
            *django_admin, "db_worker", "--queue-name", QUEUE, "--worker-id", worker_name,
            "--interval", "0.2", "--no-startup-delay", "--no-reload",
        ]  # fmt: skip
    return [
        *django_admin, "rqworker", QUEUE, "--job-class", "django_tasks_rq.Job",
        "--name", worker_name,
    ]  # fmt: skip


def site_environment(
    backend: str, db_name: str, smtp_port: int, cache_prefix: str, **extra: str
) -> dict[str, str]:
    """The environment of the e2e project's processes: its settings, database, mail sink and
    cache prefix (``extra``: more ``RESETKIT_E2E_*`` variables)."""
    return {
        **os.environ,
        # pytest-django exported the suite's settings; this project has its own.
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONUNBUFFERED": "1",
        "RESETKIT_E2E_BACKEND": backend,
        "RESETKIT_E2E_DB_NAME": db_name,
        "RESETKIT_E2E_PG_HOST": PG_HOST,
        "RESETKIT_E2E_PG_PORT": PG_PORT,
        "RESETKIT_E2E_PG_USER": PG_USER,
        "RESETKIT_E2E_SMTP_PORT": str(smtp_port),
        "RESETKIT_E2E_CACHE_PREFIX": cache_prefix,
        "REDIS_URL": REDIS_URL,
        **extra,
    }


@pytest.fixture(scope="module", params=BACKENDS)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Site:
    backend: str = request.param
    require_services(backend)
    stack = cleanup_stack(request)

    workdir = tmp_path_factory.mktemp(f"e2e-{backend}")
    db_name = stack.enter_context(scratch_database(backend))
    cache_prefix = f"resetkit-e2e-{secrets.token_hex(4)}"
    if backend == "rq":
        stack.enter_context(redis_keys_cleared(cache_prefix))
    sink, smtp_port = stack.enter_context(smtp_sink())
    env = site_environment(backend, db_name, smtp_port, cache_prefix)
    site = Site(backend=backend, db_name=db_name, env=env, sink=sink, workdir=workdir)
    site.manage("migrate", "--no-input", "--verbosity", "0")
    create_users(site)

    site.port = free_port()
    gunicorn = gunicorn_argv(
        "django.core.wsgi:get_wsgi_application()", site.port, workers=1, threads=2
    )
    site.processes.append(
        stack.enter_context(
            started(gunicorn, env={**env, "RESETKIT_E2E_ROLE": "web"},
                    log=workdir / "gunicorn.log", name="gunicorn")
        )
    )  # fmt: skip
    site.worker_name = f"e2e-{backend}-{secrets.token_hex(4)}"
    site.processes.append(
        stack.enter_context(
            started(worker_argv(backend, site.worker_name),
                    env={**env, "RESETKIT_E2E_ROLE": "worker"},
                    log=workdir / "worker.log", name=f"{backend} worker")
        )
    )  # fmt: skip
    wait_until_serving(site)
    return site


def cleanup_stack(request: pytest.FixtureRequest) -> contextlib.ExitStack:
    """An exit stack closed when the fixture's scope ends, and also when a CI timeout's SIGTERM
    arrives (servers stopped, scratch database dropped)."""
    stack = contextlib.ExitStack()
    request.addfinalizer(stack.close)
    previous = signal.signal(signal.SIGTERM, _interrupt)
    stack.callback(signal.signal, signal.SIGTERM, previous)
    return stack


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(f"signal {signum}")
