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


NOT_FOUND = {"code": "invalid_token", "detail": "This link has expired or was used."}


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("validate_token/", {"token": "not-a-token"}),
        ("confirm/", {"token": "not-a-token", "password": "a-much-better-one-42"}),
    ],
)
def test_the_flow_gives_validate_and_confirm_one_not_found_body(api_client, path, body) -> None:
    response = api_client.post(f"/api/password_reset/{path}", body, format="json")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)


def test_a_used_token_gets_the_same_body(api_client, user, signals) -> None:
    api_client.post("/api/password_reset/", {"email": user.email}, format="json")
    body = {"token": signals.keys[0], "password": "a-much-better-one-42"}
    assert api_client.post("/api/password_reset/confirm/", body, format="json").status_code == 200

    response = api_client.post("/api/password_reset/confirm/", body, format="json")

    assert (response.status_code, response.json()) == (404, NOT_FOUND)
