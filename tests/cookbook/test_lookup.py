"""lookup.md: a reset requested by username, and by the phone number on a profile."""

from __future__ import annotations

import sys
from types import ModuleType

import pytest
from django.test import override_settings
from django.urls import reverse

from tests.cookbook import load_recipe
from tests.cookbookapp.models import Profile

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-better-one-42"


def confirm(api_client, key: str) -> int:
    response = api_client.post(
        "/api/password_reset/confirm/", {"token": key, "password": NEW_PASSWORD}, format="json"
    )
    return response.status_code


@pytest.fixture
def by_username():
    with override_settings(ROOT_URLCONF=load_recipe("lookup_by_username")):
        yield


@pytest.fixture
def by_phone():
    with override_settings(ROOT_URLCONF=load_recipe("lookup_by_phone")):
        yield


@pytest.fixture
def project_urls(monkeypatch):
    """lookup_urls.py as the root URLconf, with lookup_by_username.py as ``accounts.reset``."""
    accounts = ModuleType("accounts")
    reset = load_recipe("lookup_by_username")
    accounts.reset = reset  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "accounts", accounts)
    monkeypatch.setitem(sys.modules, "accounts.reset", reset)
    with override_settings(ROOT_URLCONF=load_recipe("lookup_urls")):
        yield


@pytest.mark.usefixtures("project_urls")
def test_project_urls_include_the_endpoints_in_the_namespace(api_client, user, signals) -> None:
    assert reverse("password_reset:reset-password-request") == "/api/password_reset/"
    assert (
        reverse("password_reset:reset-password-validate") == "/api/password_reset/validate_token/"
    )
    assert reverse("password_reset:reset-password-confirm") == "/api/password_reset/confirm/"

    response = api_client.post(
        reverse("password_reset:reset-password-request"), {"username": user.username}, format="json"
    )

    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    assert [token.user for token in signals.tokens] == [user]
    assert confirm(api_client, signals.keys[0]) == 200


@pytest.mark.usefixtures("by_username")
def test_username_gets_a_token_that_resets(api_client, make_user, signals) -> None:
    alice = make_user(username="alice", email="shared@example.com")
    make_user(username="bob", email="shared@example.com")

    response = api_client.post("/api/password_reset/", {"username": "ALICE"}, format="json")

    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    assert [token.user for token in signals.tokens] == [alice]
    assert confirm(api_client, signals.keys[0]) == 200
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


@pytest.mark.usefixtures("by_username")
def test_unknown_username_answers_the_same_and_issues_nothing(api_client, user, signals) -> None:
    response = api_client.post("/api/password_reset/", {"username": "mallory"}, format="json")

    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    assert signals.tokens == []


@pytest.mark.usefixtures("by_username")
def test_username_endpoint_no_longer_takes_an_email(api_client, user, signals) -> None:
    response = api_client.post("/api/password_reset/", {"email": user.email}, format="json")

    assert response.status_code == 400
    assert "username" in response.json()
    assert signals.tokens == []


@pytest.mark.usefixtures("by_phone")
def test_phone_number_as_typed_finds_the_profile(api_client, make_user, signals) -> None:
    alice = make_user()
    Profile.objects.create(user=alice, phone="+15550102030")
    Profile.objects.create(user=make_user(), phone="+15550102031")

    response = api_client.post(
        "/api/password_reset/", {"phone": "+1 (555) 010-2030"}, format="json"
    )

    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    assert [token.user for token in signals.tokens] == [alice]
    assert confirm(api_client, signals.keys[0]) == 200
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


@pytest.mark.usefixtures("by_phone")
def test_unknown_phone_and_no_profile(api_client, user, signals) -> None:
    # user has no profile at all; the number belongs to nobody.
    response = api_client.post("/api/password_reset/", {"phone": "+15550102030"}, format="json")

    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    assert signals.tokens == []


@pytest.mark.usefixtures("by_phone")
def test_inactive_account_gets_nothing_by_phone(api_client, make_user, signals) -> None:
    Profile.objects.create(user=make_user(is_active=False), phone="+15550102030")

    api_client.post("/api/password_reset/", {"phone": "+15550102030"}, format="json")

    assert signals.tokens == []


@pytest.mark.usefixtures("by_phone")
def test_malformed_phone_is_a_400(api_client, user) -> None:
    response = api_client.post("/api/password_reset/", {"phone": "call me maybe"}, format="json")

    assert response.status_code == 400
    assert response.json() == {"phone": ["Enter a phone number."]}
