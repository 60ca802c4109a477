"""TokenValidateMixin: hooks and hostile input."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from resetkit.views import ResetPasswordValidateToken
from tests.mixins.conftest import call

pytestmark = pytest.mark.django_db

VALIDATE_URL = "/api/password_reset/validate_token/"


def test_extra_field_on_validate(key, user) -> None:
    class WithExpiry(ResetPasswordValidateToken):
        def get_validate_response(self, token: Any) -> Response:
            response = super().get_validate_response(token)
            response.data["expires_at"] = token.expires_at.isoformat()
            return response

    response = call(WithExpiry.as_view(), {"token": key})
    assert response.status_code == 200
    assert response.data["status"] == "OK"
    assert response.data["expires_at"]


def test_custom_not_found_answer(user) -> None:
    class Gone(ResetPasswordValidateToken):
        def token_not_found(self) -> Any:
            raise NotFound({"code": "token_invalid"})

    response = call(Gone.as_view(), {"token": "nope"})
    assert response.status_code == 404
    assert response.data == {"code": "token_invalid"}


def test_custom_eligibility_rule(key, user) -> None:
    class StaffOnly(ResetPasswordValidateToken):
        def is_user_eligible(self, user: Any) -> bool:
            return super().is_user_eligible(user) and user.is_staff

    assert call(StaffOnly.as_view(), {"token": key}).status_code == 404
    user.is_staff = True
    user.save()
    assert call(StaffOnly.as_view(), {"token": key}).status_code == 200


def test_validate_does_not_spend_the_token(api_client, key) -> None:
    for _ in range(3):
        assert api_client.post(VALIDATE_URL, {"token": key}, format="json").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b"null",
        b'{"token": null}',
        b'{"token": 123456}',
        b'{"token": ["a"]}',
        b'{"token": "abc\\u0000def"}',
        b'{"token": "' + b"f" * 1_000_000 + b'"}',
        b"{broken",
    ],
)
def test_bad_input_is_a_4xx(api_client, key, body) -> None:
    response = api_client.generic("POST", VALIDATE_URL, body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert isinstance(response.json(), dict)


def test_numeric_json_token_is_accepted_as_text(api_client, user, signals, settings) -> None:
    """Clients sending a numeric code as a JSON number still get it checked."""
    settings.DJANGO_REST_PASSWORDRESET_TOKEN_CONFIG = {
        "CLASS": "resetkit.generators.RandomNumberTokenGenerator",
        "OPTIONS": {"min_number": 100000, "max_number": 999999},
    }
    api_client.post("/api/password_reset/", {"email": "alice@example.com"}, format="json")
    code = int(signals.keys[0])
    body = {"token": code, "email": "alice@example.com"}  # a short code names its account
    response = api_client.post(VALIDATE_URL, body, format="json")
    assert response.status_code == 200
