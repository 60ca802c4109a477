"""include-as-is.md: a full reset through the included URLs and through a router."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.cookbook import load_recipe

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-better-one-42"


def full_reset(api_client, user, signals, request_url, validate_url, confirm_url) -> None:
    response = api_client.post(request_url, {"email": user.email}, format="json")
    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    [key] = signals.keys

    response = api_client.post(validate_url, {"token": key}, format="json")
    assert (response.status_code, response.json()) == (200, {"status": "OK"})

    response = api_client.post(confirm_url, {"token": key, "password": NEW_PASSWORD}, format="json")
    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_included_urls(api_client, user, signals) -> None:
    with override_settings(ROOT_URLCONF=load_recipe("include_as_is")):
        urls = [
            reverse(f"password_reset:{name}")
            for name in (
                "reset-password-request",
                "reset-password-validate",
                "reset-password-confirm",
            )
        ]
        assert urls == [
            "/api/password_reset/",
            "/api/password_reset/validate_token/",
            "/api/password_reset/confirm/",
        ]
        full_reset(api_client, user, signals, *urls)


def test_router(api_client, user, signals) -> None:
    with override_settings(ROOT_URLCONF=load_recipe("include_with_router")):
        urls = [
            reverse(f"{name}-list")
            for name in (
                "reset-password-request",
                "reset-password-validate",
                "reset-password-confirm",
            )
        ]
        assert urls == [
            "/api/auth/passwordreset/",
            "/api/auth/passwordreset/validate_token/",
            "/api/auth/passwordreset/confirm/",
        ]
        full_reset(api_client, user, signals, *urls)
