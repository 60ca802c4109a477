"""The demo's reset page in a real browser: from "forgot password" to logging in again.

Run with ``make browser-test``; ``make test`` leaves it out (see ``conftest.py``). A screenshot
of each step is saved in ``.ci/artifacts/screenshots/`` (``reset-NN-<step>.png``), to look at
after a run.

The e-mailed link carries the token in its fragment (``/reset/#token=...``), which the browser
never sends: after the whole flow, the demo server's access log must not hold the token.
"""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from tests.browser.conftest import DemoServer

EMAIL = "demo@example.com"
OLD_PASSWORD = "demo-password-2024"  # set by create_demo_user
NEW_PASSWORD = "a-much-better-one-42"
HTTP_STATUS_NOTE = "Failed to load resource: the server responded with a status of"
LINK = re.compile(r"https?://\S+/reset/#token=\S+")
# The code of the e-mail + code flow (resetkit.codes): a run of digits on its own.
CODE = re.compile(r"(?<![\w-])\d{6,12}(?![\w-])")


def basic_auth(username: str, password: str) -> dict[str, str]:
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {credentials}"}


def assert_not_in_access_log(demo_server: DemoServer, *secrets: str) -> None:
    """The server's request log (runserver's stderr) names requests, never a token or code.

    runserver writes a request's log line after its answer; the short wait lets the last line
    of the flow land before the file is read.
    """
    time.sleep(0.5)
    log = demo_server.log_path.read_text()
    assert '"GET /reset/ HTTP/1.1" 200' in log, log  # the log does record requests
    for secret in secrets:
        assert secret not in log, f"{secret!r} is in the access log:\n{log}"


def record_console_error(message: Any, errors: list[str]) -> None:
    """Keep console errors, except Chromium's note of each non-2xx HTTP answer."""
    if message.type == "error" and not message.text.startswith(HTTP_STATUS_NOTE):
        errors.append(message.text)


class Steps:
    """Numbered full-page screenshots, one per step of the flow."""

    def __init__(self, page: Any, directory: Path, prefix: str = "reset") -> None:
        self.page = page
        self.directory = directory
        self.prefix = prefix
        self.count = 0

    def shot(self, name: str) -> None:
        self.count += 1
        self.page.screenshot(
            path=self.directory / f"{self.prefix}-{self.count:02d}-{name}.png", full_page=True
        )


def test_reset_flow_end_to_end(
    page: Any, context: Any, expect: Any, demo_server: DemoServer, screenshot_dir: Path
) -> None:
    steps = Steps(page, screenshot_dir)
    # Script exceptions, and console errors such as a script or style the page's
    # Content-Security-Policy blocked; the 4xx answers the flow provokes are logged too.
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.on("console", lambda msg: record_console_error(msg, page_errors))

    # 1. The "forgot password" form; an address the server rejects is flagged at the field.
    page.goto("/reset/")
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    email_field = page.get_by_label("E-mail address")
    steps.shot("request-form")
    email_field.fill("not-an-address")
    page.get_by_role("button", name="Send me a reset link").click()
    expect(email_field).to_have_accessible_description(re.compile("valid email address"))
    expect(email_field).to_have_attribute("aria-invalid", "true")
    steps.shot("request-bad-address")

    # 2. The real address: the same neutral answer as for any address.
    email_field.fill(EMAIL)
    mark = demo_server.output_mark()
    page.get_by_role("button", name="Send me a reset link").click()
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()
    expect(page.get_by_text(f"If an account exists for {EMAIL}, an e-mail")).to_be_visible()
    steps.shot("request-sent")

    # 3. The e-mail printed on the demo's console carries the link.
    message = demo_server.wait_for_email(since=mark)
    assert message["To"] == EMAIL
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = LINK.search(body.get_content())
    assert found, body.get_content()
    link = found.group(0)
    assert link.startswith(f"{demo_server.base_url}/reset/#token=")
    token = parse_qs(urlsplit(link).fragment)["token"][0]

    # 4. The link opens "choose a new password": the token leaves the address bar at once and
    # no request the page makes (its script and style included) names it in a Referer.
    # From another page, as a mail client opens it (a link differing from the address shown only
    # in its fragment would not load the page again).
    page.goto("about:blank")
    requests: list[Any] = []
    page.on("request", lambda request: requests.append(request))
    response = page.goto(link)
    assert response is not None
    assert response.url == f"{demo_server.base_url}/reset/"  # the fragment stayed in the browser
    assert response.headers["referrer-policy"] == "no-referrer"
    password_field = page.get_by_label("New password", exact=True)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    expect(password_field).to_be_focused()
    expect(page).to_have_url(f"{demo_server.base_url}/reset/")
    assert token not in page.evaluate("window.location.href")
    assert {r.url.split("?")[0] for r in requests} >= {
        f"{demo_server.base_url}/static/demo/reset.js",
        f"{demo_server.base_url}/api/password_reset/validate_token/",
    }
    referers = {r.url: r.header_value("referer") for r in requests}
    assert not any(referers.values()), referers
    steps.shot("choose-password")

    # 5. A weak password: the validators' messages appear at the field, the token stays good.
    password_field.fill("password")
    page.get_by_role("button", name="Set new password").click()
    expect(password_field).to_have_accessible_description(re.compile("too common"))
    expect(password_field).to_have_attribute("aria-invalid", "true")
    steps.shot("weak-password")

    # 6. A good one.
    password_field.fill(NEW_PASSWORD)
    mark = demo_server.output_mark()
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    steps.shot("password-changed")
    # The demo turns on PASSWORD_CHANGED_NOTICE: the console shows the notice, without a token.
    notice = demo_server.wait_for_email(since=mark)
    assert notice["To"] == EMAIL
    assert notice["Subject"] == "Your password was changed"
    assert token not in notice.as_string()

    # 7. The new password logs in; the old one no longer does.
    whoami = context.request.get("/api/whoami/", headers=basic_auth("demo", NEW_PASSWORD))
    assert whoami.status == 200
    assert whoami.json() == {"username": "demo", "email": EMAIL}
    old = context.request.get("/api/whoami/", headers=basic_auth("demo", OLD_PASSWORD))
    assert old.status == 401
    page.set_extra_http_headers(basic_auth("demo", NEW_PASSWORD))
    page.goto("/api/whoami/")
    expect(page.get_by_text('"username": "demo"')).to_be_visible()
    steps.shot("logged-in")
    page.set_extra_http_headers({})

    # 8. The e-mailed link is spent: a clear message and a way to ask for a new one.
    page.goto(link)
    expect(page.get_by_role("heading", name="This link can no longer be used")).to_be_visible()
    expect(page.get_by_text("has expired or has already been used")).to_be_visible()
    expect(page).to_have_url(f"{demo_server.base_url}/reset/")
    steps.shot("link-used")
    page.get_by_role("link", name="Send me a new link").click()
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    expect(page.get_by_label("E-mail address")).to_be_editable()

    # 9. Every request of the flow is in the server's access log, the token in none of them:
    # the browser requested /reset/ for the link, and the page posted the token in bodies.
    assert_not_in_access_log(demo_server, token)
    assert page_errors == []


def test_unknown_token_is_refused_like_a_used_one(
    page: Any, expect: Any, demo_server: DemoServer
) -> None:
    page.goto("/reset/#token=0123456789abcdef0123456789abcdef")
    expect(page.get_by_role("heading", name="This link can no longer be used")).to_be_visible()
    expect(page.get_by_role("link", name="Send me a new link")).to_be_visible()
    expect(page).to_have_url(f"{demo_server.base_url}/reset/")


def test_token_in_query_string_is_not_read(page: Any, expect: Any) -> None:
    """A ``?token=`` reached the server's log on the way in: the page ignores it."""
    requests: list[Any] = []
    page.on("request", lambda request: requests.append(request))
    page.goto("/reset/?token=0123456789abcdef0123456789abcdef")
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    assert not [r.url for r in requests if "validate_token" in r.url]


def test_reset_with_a_code(
    page: Any, context: Any, expect: Any, demo_server: DemoServer, screenshot_dir: Path
) -> None:
    """The e-mail + code flow: ask for a code, read it from the e-mail, type it on the page."""
    # Runs once the demo serves resetkit.codes (the built-in code flow).
    steps = Steps(page, screenshot_dir, prefix="code")
    page_errors: list[str] = []
    page.on("pageerror", lambda error: page_errors.append(str(error)))
    page.on("console", lambda msg: record_console_error(msg, page_errors))
    new_password = "codes-are-fine-too-77"

    # 1. "I have a code" opens the form without a code; going back asks for one.
    page.goto("/reset/")
    page.get_by_role("button", name="I have a code").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    expect(page.get_by_label("Account e-mail")).to_be_focused()
    steps.shot("code-form-empty")

    # 2. Ask for a code: the same neutral answer, then the code form with the address filled in.
    page.goto("/reset/")
    page.get_by_label("E-mail address").fill(EMAIL)
    mark = demo_server.output_mark()
    page.get_by_role("button", name="Send me a code instead").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    expect(page.get_by_text(f"If an account exists for {EMAIL}, an e-mail")).to_be_visible()
    expect(page.get_by_label("Account e-mail")).to_have_value(EMAIL)
    code_field = page.get_by_label("Code from the e-mail")
    expect(code_field).to_be_focused()
    steps.shot("code-sent")

    # 3. The e-mail printed on the demo's console holds the code.
    message = demo_server.wait_for_email(since=mark)
    assert message["To"] == EMAIL
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    found = CODE.search(body.get_content())
    assert found, body.get_content()
    code = found.group(0)

    # 4. A weak password is refused at its field; the code stays good.
    password_field = page.get_by_label("Your new password")
    code_field.fill(code)
    password_field.fill("password")
    page.get_by_role("button", name="Reset my password").click()
    expect(password_field).to_have_accessible_description(re.compile("too common"))
    steps.shot("code-weak-password")

    # 5. A good one: done, and the new password logs in.
    password_field.fill(new_password)
    page.get_by_role("button", name="Reset my password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    steps.shot("code-password-changed")
    whoami = context.request.get("/api/whoami/", headers=basic_auth("demo", new_password))
    assert whoami.status == 200

    # 6. The code is spent: typed again, it is refused with a clear message.
    page.goto("/reset/")
    page.get_by_role("button", name="I have a code").click()
    page.get_by_label("Account e-mail").fill(EMAIL)
    page.get_by_label("Code from the e-mail").fill(code)
    page.get_by_label("Your new password").fill("yet-another-one-88")
    page.get_by_role("button", name="Reset my password").click()
    expect(page.get_by_text("This code is wrong or no longer valid")).to_be_visible()
    steps.shot("code-spent")

    assert_not_in_access_log(demo_server, code)
    assert page_errors == []
