"""The default executor (``ThreadExecutor``) under each real server, over HTTP.

No task backend and no worker here (``RESETKIT_E2E_BACKEND=threads``): the web process's own
pool threads look the account up, issue the token and send the e-mail to the SMTP sink. One
scratch PostgreSQL database and one sink serve the whole module; each server is started on it
in turn: ``manage.py runserver --noreload``, gunicorn ``sync``, gunicorn ``gthread`` with four
threads, uvicorn with the project's ASGI application.

Every e-mail names the process and thread that sent it (``tests.e2e.project.mail``): it must
be a ``resetkit-issue-*`` thread of a process of the server's process group.

Each server also serves the demo's reset page (``/reset/``, ``example/demo``): its headers, the
script it loads, and a reset through the endpoint URLs the page names.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from benchmarks.support import free_port, gunicorn_argv
from tests.e2e.conftest import (
    MAIL_TIMEOUT,
    NEW_PASSWORD,
    PG_HOST,
    PG_PORT,
    PG_USER,
    REPO_ROOT,
    SETTINGS_MODULE,
    USERS,
    Mail,
    Site,
    can_log_in,
    cleanup_stack,
    create_users,
    require_services,
    scratch_database,
    smtp_sink,
    started,
    wait_until_serving,
)
from tests.e2e.project.views import SENT_BY_HEADER

REQUEST = "/api/password_reset/"
VALIDATE = "/api/password_reset/validate_token/"
CONFIRM = "/api/password_reset/confirm/"
BACKEND = "threads"
SERVERS = ("runserver", "gunicorn-sync", "gunicorn-gthread", "uvicorn")
WSGI_APP = "django.core.wsgi:get_wsgi_application()"
ASGI_APP = "tests.e2e.project.asgi:application"
#: An answer slower than this is not "at once": the work was not handed to the pool.
ANSWER_WITHIN = 5.0
#: The graceful stop's users, beside USERS.
BURST_USERS = {f"burst{index}": f"burst{index}@example.com" for index in range(5)}


def server_argv(server: str, port: int) -> list[str]:
    if server == "runserver":
        return [
            sys.executable, "-m", "django", "runserver", f"127.0.0.1:{port}", "--noreload",
        ]  # fmt: skip
    if server == "gunicorn-sync":
        return gunicorn_argv(WSGI_APP, port, workers=1, threads=1, worker_class="sync")
    if server == "gunicorn-gthread":
        return gunicorn_argv(WSGI_APP, port, workers=1, threads=4, worker_class="gthread")
    if server == "uvicorn":
        return [
            sys.executable, "-m", "uvicorn", ASGI_APP, "--host", "127.0.0.1",
            "--port", str(port), "--lifespan", "off", "--log-level", "warning",
        ]  # fmt: skip
    raise AssertionError(server)


@pytest.fixture(scope="module")
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The migrated scratch database, its users and the SMTP sink; no server yet."""
    require_services(BACKEND)
    stack = cleanup_stack(request)

    workdir = tmp_path_factory.mktemp(f"e2e-{BACKEND}")
    db_name = stack.enter_context(scratch_database(BACKEND))
    sink, smtp_port = stack.enter_context(smtp_sink())
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
        "PYTHONPATH": str(REPO_ROOT),
        "PYTHONUNBUFFERED": "1",
        "RESETKIT_E2E_BACKEND": BACKEND,
        "RESETKIT_E2E_DB_NAME": db_name,
        "RESETKIT_E2E_PG_HOST": PG_HOST,
        "RESETKIT_E2E_PG_PORT": PG_PORT,
        "RESETKIT_E2E_PG_USER": PG_USER,
        "RESETKIT_E2E_SMTP_PORT": str(smtp_port),
        "RESETKIT_E2E_ROLE": "web",
    }
    site = Site(backend=BACKEND, db_name=db_name, env=env, sink=sink, workdir=workdir)
    site.manage("migrate", "--no-input", "--verbosity", "0")
    create_users(site)
    site.shell(
        "from django.contrib.auth import get_user_model\n"
        f"for username, address in {BURST_USERS!r}.items():\n"
        "    get_user_model().objects.create_user(username, address, 'irrelevant-Passw0rd')\n"
    )
    return site


@contextlib.contextmanager
def serving(project: Site, server: str, **changes: object) -> Iterator[Site]:
    """``project`` served by ``server`` (a new process group) for the block."""
    site = dataclasses.replace(
        project, backend=f"{BACKEND} on {server}", port=free_port(), processes=[], **changes
    )
    log = site.workdir / f"{server}-{site.port}.log"
    with started(server_argv(server, site.port), env=site.env, log=log, name=server) as process:
        site.processes.append(process)
        wait_until_serving(site)
        yield site


@pytest.fixture(scope="module", params=SERVERS)
def server(request: pytest.FixtureRequest, project: Site) -> Iterator[Site]:
    with serving(project, request.param) as site:
        yield site


def request_reset(site: Site, address: str, path: str = REQUEST) -> None:
    began = time.monotonic()
    assert site.post(path, {"email": address}) == (200, {"status": "OK"})
    assert time.monotonic() - began < ANSWER_WITHIN


def sent_by_a_pool_thread(site: Site, mail: Mail) -> None:
    """The e-mail was sent by a resetkit-issue thread of one of the server's processes."""
    role, pid, thread = mail.message[SENT_BY_HEADER].split()
    assert role == "web"
    assert thread.startswith("resetkit-issue-"), thread
    [process] = site.processes
    assert int(pid) != os.getpid()
    with contextlib.suppress(ProcessLookupError):  # gone already: the graceful stop
        assert os.getpgid(int(pid)) == process.popen.pid


def test_a_reset_from_request_to_confirm(server: Site) -> None:
    address = USERS["alice"]
    count = len(server.sink.to(address)) + 1
    request_reset(server, address)

    mail = server.wait_for_mail(address, count)
    sent_by_a_pool_thread(server, mail)
    token = mail.token
    assert server.post(VALIDATE, {"token": token}) == (200, {"status": "OK"})
    password = f"{NEW_PASSWORD}-{server.port}"
    assert server.post(CONFIRM, {"token": token, "password": password}) == (
        200,
        {"status": "OK"},
    )
    # Spent.
    assert server.post(VALIDATE, {"token": token})[0] == 404


def test_the_reset_page_and_the_endpoints_it_names(server: Site) -> None:
    status, headers, body = server.get("/reset/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    # What keeps the token, once in the page, from leaking (docs/reset-page.md).
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert "no-store" in headers["Cache-Control"]
    page = body.decode()
    urls = dict(re.findall(r'data-(request|validate|confirm)-url="([^"]+)"', page))
    assert urls == {"request": REQUEST, "validate": VALIDATE, "confirm": CONFIRM}
    [script] = re.findall(r'<script src="([^"]+)"', page)
    status, headers, body = server.get(script)
    assert status == 200
    assert "javascript" in headers["Content-Type"]
    assert b"location.hash" in body

    # The page's way through: request, the e-mailed token, validate, confirm.
    address = USERS["carol"]
    count = len(server.sink.to(address)) + 1
    request_reset(server, address, urls["request"])
    token = server.wait_for_mail(address, count).token
    assert server.post(urls["validate"], {"token": token}) == (200, {"status": "OK"})
    password = f"{NEW_PASSWORD}-page-{server.port}"
    assert server.post(urls["confirm"], {"token": token, "password": password}) == (
        200,
        {"status": "OK"},
    )
    assert can_log_in(server, "carol", password)


def test_an_unknown_address_gets_no_email(server: Site) -> None:
    unknown = f"nobody-{server.port}@example.com"
    address = USERS["dave"]
    count = len(server.sink.to(address)) + 1
    request_reset(server, unknown)
    request_reset(server, address)
    sent_by_a_pool_thread(server, server.wait_for_mail(address, count))
    # The unknown address's job was queued first; give the other pool thread a moment more.
    time.sleep(1.0)
    server.check_alive()
    assert server.sink.to(unknown) == []


def test_a_graceful_stop_delivers_every_queued_email(project: Site) -> None:
    """SIGTERM to gunicorn (sync) right after five answered requests, while a slow mail server
    keeps them queued: the worker drains its pool before it exits."""
    with contextlib.ExitStack() as stack:
        slow_sink, smtp_port = stack.enter_context(smtp_sink(delay=1.0))
        env = {**project.env, "RESETKIT_E2E_SMTP_PORT": str(smtp_port)}
        site = stack.enter_context(serving(project, "gunicorn-sync", sink=slow_sink, env=env))
        for address in BURST_USERS.values():
            request_reset(site, address)
        [process] = site.processes
        os.kill(process.popen.pid, signal.SIGTERM)  # the arbiter, as a supervisor does
        # Two pool threads, five e-mails of a second each: still queued when SIGTERM came.
        assert len(slow_sink.mails) < len(BURST_USERS)
        try:
            returncode = process.popen.wait(timeout=MAIL_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"gunicorn did not stop within {MAIL_TIMEOUT:.0f}s of SIGTERM")
        assert returncode == 0
        for address in BURST_USERS.values():
            [mail] = slow_sink.to(address)
            sent_by_a_pool_thread(site, mail)
            assert mail.token
