"""E014: resetkit's views routed while ``resetkit`` is not in ``INSTALLED_APPS``.

resetkit's ``AppConfig.ready()`` never runs then, so the check travels with ``resetkit.urls``
(its request pattern's ``check()``, which Django's URL checks call) and every view refuses to
serve with the same message.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import get_resolver
from rest_framework.test import APIClient

from resetkit.checks import check_app_installed

WITHOUT_RESETKIT = [app for app in settings.INSTALLED_APPS if app != "resetkit"]


def test_installed_app_is_clean() -> None:
    assert check_app_installed() == []
    assert "resetkit.E014" not in {m.id for m in get_resolver().check()}


def test_missing_app_is_reported_by_the_url_checks() -> None:
    with override_settings(INSTALLED_APPS=WITHOUT_RESETKIT):
        found = [m for m in checks.run_checks(tags=[checks.Tags.urls]) if m.id == "resetkit.E014"]
    assert len(found) == 1  # one message, though the URLconf includes the URLs once
    assert "'resetkit' is not in INSTALLED_APPS" in found[0].msg
    assert found[0].hint is not None and "python manage.py migrate" in found[0].hint
    assert found[0].is_serious()


@pytest.mark.parametrize(
    ("url", "body"),
    [
        ("/api/password_reset/", {"email": "alice@example.com"}),
        ("/api/password_reset/validate_token/", {"token": "abc"}),
        ("/router/api/auth/passwordreset/", {"email": "alice@example.com"}),
    ],
)
def test_every_view_refuses_to_serve_with_the_same_message(url: str, body: dict) -> None:
    """Before: the request answered 200 (and issued nothing), validate a bare 500."""
    with (
        override_settings(INSTALLED_APPS=WITHOUT_RESETKIT),
        pytest.raises(ImproperlyConfigured, match="'resetkit' is not in INSTALLED_APPS"),
    ):
        APIClient().post(url, body, format="json")
