"""responses.md: a 202 with a message on request, ``expires_at`` on validate."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils.dateparse import parse_datetime

from tests.cookbook import load_recipe

pytestmark = pytest.mark.django_db

MESSAGE = {"detail": "If an account uses this address, we have sent it a link."}


@pytest.fixture(autouse=True)
def recipe_urls():
    with override_settings(ROOT_URLCONF=load_recipe("responses")):
        yield


def test_request_answers_202_with_a_message_and_still_issues(api_client, user, signals) -> None:
    response = api_client.post("/api/password_reset/", {"email": user.email}, format="json")

    assert (response.status_code, response.json()) == (202, MESSAGE)
    assert [token.user for token in signals.tokens] == [user]


def test_request_answer_is_the_same_for_an_unknown_address(api_client, user, signals) -> None:
    response = api_client.post(
        "/api/password_reset/", {"email": "nobody@example.com"}, format="json"
    )

    assert (response.status_code, response.json()) == (202, MESSAGE)
    assert signals.tokens == []


def test_validate_tells_when_the_token_expires(api_client, user, signals) -> None:
    api_client.post("/api/password_reset/", {"email": user.email}, format="json")
    [token] = signals.tokens

    response = api_client.post(
        "/api/password_reset/validate_token/", {"token": token.key}, format="json"
    )

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "OK"
    # JSON carries milliseconds.
    expires_at = parse_datetime(body["expires_at"])
    assert abs(expires_at - token.expires_at) < timedelta(milliseconds=1)
    assert abs(expires_at - (token.created_at + timedelta(hours=24))) < timedelta(milliseconds=1)


def test_validate_failure_is_unchanged(api_client, user) -> None:
    response = api_client.post(
        "/api/password_reset/validate_token/", {"token": "not-a-token"}, format="json"
    )

    assert response.status_code == 404
    assert set(response.json()) == {"detail"}
