"""An unreachable database or cache is a clear 503, alike for every account, and logged."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import OperationalError

from resetkit.backends.orm import ORMTokenStore
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    "LOCATION": "redis://127.0.0.1:1/0",
    "OPTIONS": {"socket_connect_timeout": 0.5},
}

ENDPOINTS = [
    ("/api/password_reset/", {"email": "alice@example.com"}),
    ("/api/password_reset/", {"email": "nobody@example.com"}),
    ("/api/password_reset/validate_token/", {"token": "abc"}),
    ("/api/password_reset/confirm/", {"token": "abc", "password": "brand-new-Passw0rd"}),
]


@pytest.mark.parametrize(("url", "body"), ENDPOINTS)
def test_unreachable_redis_is_a_503(api_client, user, settings, caplog, url, body) -> None:
    settings.CACHES = {**settings.CACHES, "dead": DEAD_REDIS}
    with (
        resetkit_overrides(
            TOKEN_STORE={
                "CLASS": "resetkit.backends.cache.CacheTokenStore",
                "OPTIONS": {"cache_alias": "dead"},
            }
        ),
        caplog.at_level(logging.ERROR, logger="resetkit"),
    ):
        response = api_client.post(url, body, format="json")
    assert response.status_code == 503
    assert response.json() == {
        "detail": "Password reset is temporarily unavailable. Please try again later."
    }
    assert response["Retry-After"] == "30"
    assert any("could not reach" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("url", "body"), ENDPOINTS)
def test_database_outage_is_a_503(api_client, user, monkeypatch, url, body) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("could not connect to server: Connection refused")

    for method in ("get_token", "clear_expired", "create_token"):
        monkeypatch.setattr(ORMTokenStore, method, down)
    response = api_client.post(url, body, format="json")
    assert response.status_code == 503
    assert "temporarily unavailable" in response.json()["detail"]


def test_other_errors_are_not_disguised_as_outages(api_client, user, monkeypatch) -> None:
    def bug(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError

    monkeypatch.setattr(ORMTokenStore, "get_token", bug)
    api_client.raise_request_exception = True
    with pytest.raises(ZeroDivisionError):
        api_client.post("/api/password_reset/validate_token/", {"token": "x"}, format="json")
