"""The demo served by ``runserver`` and a headless Chromium, for the reset page's browser test.

Everything here is marked ``browser`` and deselected by default (pyproject's ``addopts``);
``make browser-test`` selects it. It drives Debian's Chromium (``apt-get install chromium``;
``CHROMIUM`` points elsewhere) through Playwright, which never downloads a browser here. A
missing Chromium fails the run: a browser test that skips proves nothing.

The demo runs as a user would run it (``migrate``, ``create_demo_user``, ``runserver``), on a
fresh SQLite file in a temporary directory and a free loopback port. Its console e-mail backend
prints each e-mail on standard output, where :class:`DemoServer` reads them.
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
MANAGE_PY = REPO_ROOT / "example" / "manage.py"
# Screenshots of every step land here (git-ignored); CI keeps the directory as an artifact.
SCREENSHOT_DIR = REPO_ROOT / ".ci" / "artifacts" / "screenshots"

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Django's console e-mail backend writes this line after each message.
EMAIL_SEPARATOR = "-" * 79 + "\n"
# The last line runserver prints before it serves ("Quit the server with CONTROL-C.").
STARTUP_BANNER_END = "Quit the server with"
STARTUP_TIMEOUT = 30.0


@pytest.hookimpl(tryfirst=True)  # before ``-m`` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test in this directory ``browser``, so ``make test`` never starts one."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DemoServer:
    """The demo's ``runserver``, with its standard output (the e-mails) collected as it comes."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            # pytest-django exported the suite's settings; the demo has its own.
            "DJANGO_SETTINGS_MODULE": "demo.settings",
            "DEMO_DB_PATH": str(workdir / "demo.sqlite3"),
            "DEMO_RESET_PAGE_URL": f"{self.base_url}/reset/",
            "PYTHONUNBUFFERED": "1",
        }
        self.log_path = workdir / "runserver.log"
        self._stdout = ""
        self._changed = threading.Condition()
        self._process: subprocess.Popen[str] | None = None

    def manage(self, *args: str) -> None:
        done = subprocess.run(
            [sys.executable, str(MANAGE_PY), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode:
            pytest.fail(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")

    def start(self) -> None:
        self.manage("migrate", "--no-input")
        self.manage("create_demo_user")
        # The request log (stderr) goes to a file: standard output then holds e-mails only.
        with self.log_path.open("w") as log:
            self._process = subprocess.Popen(
                [
                    sys.executable,
                    str(MANAGE_PY),
                    "runserver",
                    "--noreload",
                    f"127.0.0.1:{self.port}",
                ],
                env=self.env,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        threading.Thread(target=self._read_stdout, daemon=True).start()
        self._wait_until_serving()

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    def _read_stdout(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for line in self._process.stdout:
            with self._changed:
                self._stdout += line
                self._changed.notify_all()

    def _wait_until_serving(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                pytest.fail(f"the demo server exited early:\n{self.diagnostics()}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/reset/", timeout=2):
                    pass
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
                continue
            # The start-up banner, printed before the server listens, must have been read,
            # so that the output after a mark holds e-mails only.
            with self._changed:
                if self._changed.wait_for(
                    lambda: STARTUP_BANNER_END in self._stdout, deadline - time.monotonic()
                ):
                    return
        pytest.fail(
            f"the demo server did not answer within {STARTUP_TIMEOUT}s:\n{self.diagnostics()}"
        )

    def diagnostics(self) -> str:
        log = self.log_path.read_text() if self.log_path.exists() else ""
        return f"--- stdout ---\n{self._stdout}\n--- stderr ---\n{log}"

    def output_mark(self) -> int:
        """Where the output stands now: pass it to :meth:`wait_for_email`."""
        with self._changed:
            return len(self._stdout)

    def wait_for_email(self, since: int, timeout: float = 15.0) -> EmailMessage:
        """Return the first e-mail printed after ``since``, waiting for it if need be.

        Issuing happens after the response is sent, so the e-mail can trail the answer.
        """
        with self._changed:
            if not self._changed.wait_for(
                lambda: EMAIL_SEPARATOR in self._stdout[since:], timeout=timeout
            ):
                pytest.fail(f"no e-mail within {timeout}s:\n{self.diagnostics()}")
            printed = self._stdout[since:].split(EMAIL_SEPARATOR, 1)[0]
        message = email.message_from_string(printed.lstrip("\n"), policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoServer]:
    server = DemoServer(tmp_path_factory.mktemp("demo"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's Chromium under Playwright; fails (never skips) when it is not installed."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it (apt-get install chromium; "
            "`make browser-test` does so as root) or set CHROMIUM to its path."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def context(chromium: Any, demo_server: DemoServer) -> Iterator[Any]:
    """A fresh browser profile (no cookies, no history) aimed at the demo."""
    browser_context = chromium.new_context(
        base_url=demo_server.base_url, viewport={"width": 800, "height": 720}
    )
    browser_context.set_default_timeout(15_000)
    try:
        yield browser_context
    finally:
        browser_context.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


@pytest.fixture(scope="session")
def expect() -> Any:
    """Playwright's ``expect``, imported here so that collecting this directory without
    Playwright installed (``make test``) is no error."""
    from playwright.sync_api import expect

    return expect


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    return SCREENSHOT_DIR
