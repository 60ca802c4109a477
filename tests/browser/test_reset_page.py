"""The demo's reset page in a real browser: from "forgot password" to logging in again.

Run with ``make browser-test``; ``make test`` leaves it out (see ``conftest.py``). A screenshot
of each step is saved in ``.ci/artifacts/screenshots/`` (``reset-NN-<step>.png``), to look at
after a run.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from tests.browser.conftest import DemoServer

EMAIL = "demo@example.com"
OLD_PASSWORD = "demo-password-2024"  # set by create_demo_user
NEW_PASSWORD = "a-much-better-one-42"
HTTP_STATUS_NOTE = "Failed to load resource: the server responded with a status of"
LINK = re.compile(r"https?://\S+/reset/\?token=\S+")


def basic_auth(username: str, password: str) -> dict[str, str]:
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"Authorization": f"Basic {credentials}"}


def record_console_error(message: Any, errors: list[str]) -> None:
    """Keep console errors, except Chromium's note of each non-2xx HTTP answer."""
    if message.type == "error" and not message.text.startswith(HTTP_STATUS_NOTE):
        errors.append(message.text)


class Steps:
    """Numbered full-page screenshots, one per step of the flow."""

    def __init__(self, page: Any, directory: Path) -> None:
        self.page = page
        self.directory = directory
        self.count = 0

    def shot(self, name: str) -> None:
        self.count += 1
        self.page.screenshot(
            path=self.directory / f"reset-{self.count:02d}-{name}.png", full_page=True
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
    assert link.startswith(f"{demo_server.base_url}/reset/?token=")
    token = parse_qs(urlsplit(link).query)["token"][0]

    # 4. The link opens "choose a new password": the token leaves the address bar at once and
    # no request the page makes (its script and style included) names it in a Referer.
    requests: list[Any] = []
    page.on("request", lambda request: requests.append(request))
    response = page.goto(link)
    assert response is not None
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
    page.get_by_role("button", name="Set new password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()
    steps.shot("password-changed")

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

    assert page_errors == []


def test_unknown_token_is_refused_like_a_used_one(
    page: Any, expect: Any, demo_server: DemoServer
) -> None:
    page.goto("/reset/?token=0123456789abcdef0123456789abcdef")
    expect(page.get_by_role("heading", name="This link can no longer be used")).to_be_visible()
    expect(page.get_by_role("link", name="Send me a new link")).to_be_visible()
    expect(page).to_have_url(f"{demo_server.base_url}/reset/")
