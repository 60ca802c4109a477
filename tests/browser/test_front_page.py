"""The demo's front page: every link leads somewhere that works, and the admin account the
page (and the README) names logs into the admin.

Run with ``make browser-test``. Screenshots: ``.ci/artifacts/screenshots/front-*.png``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.browser.conftest import DemoServer

ADMIN_USERNAME = "admin"  # set by create_demo_user, listed in the README
ADMIN_PASSWORD = "admin-password-2024"


def test_front_page_links_and_admin_login(
    page: Any, expect: Any, demo_server: DemoServer, screenshot_dir: Path
) -> None:
    response = page.goto("/")
    assert response.status == 200
    expect(page.get_by_role("heading", name="resetkit demo")).to_be_visible()
    page.screenshot(path=screenshot_dir / "front-01-home.png", full_page=True)

    # Each local link answers 200; the documentation link points at the published docs.
    for link_id, title in [
        ("link-reset", "Reset your password"),
        ("link-swagger", None),
        ("link-admin", None),
    ]:
        href = page.locator(f"#{link_id}").get_attribute("href")
        answer = page.request.get(href)
        assert answer.status == 200, (link_id, href, answer.status)
        if title:
            assert title in answer.text()
    assert page.locator("#link-docs").get_attribute("href").startswith("https://")

    # Swagger UI renders the three endpoints.
    page.locator("#link-swagger").click()
    expect(page.get_by_text("/api/password_reset/validate_token/")).to_be_visible()
    page.screenshot(path=screenshot_dir / "front-02-swagger.png", full_page=True)

    # The admin, with the credentials the page shows.
    page.goto("/")
    expect(page.get_by_text(ADMIN_PASSWORD)).to_be_visible()
    page.locator("#link-admin").click()
    page.get_by_label("Username").fill(ADMIN_USERNAME)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Password reset tokens").click()
    expect(page).to_have_url(re.compile(r"/admin/resetkit/resetpasswordtoken/$"))
    page.screenshot(path=screenshot_dir / "front-03-admin.png", full_page=True)
