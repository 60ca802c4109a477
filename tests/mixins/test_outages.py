"""An unreachable database or cache: a clear 503 where the answer depends on it, alike for
every account, and a log line that says what failed."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.db import OperationalError

from resetkit.backends.orm import ORMTokenStore
from resetkit.testing import capture_issue_jobs
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    # Port 1 on loopback: nothing listens there, the connection is refused at once.
    "LOCATION": "redis://127.0.0.1:1/0",
    "OPTIONS": {"socket_connect_timeout": 0.5},
}
DEAD_STORE = {
    "CLASS": "resetkit.backends.cache.CacheTokenStore",
    "OPTIONS": {"cache_alias": "dead"},
}
UNAVAILABLE = {"detail": "Password reset is temporarily unavailable. Please try again later."}

TOKEN_ENDPOINTS = [
    ("/api/password_reset/validate_token/", {"token": "abc"}),
    ("/api/password_reset/confirm/", {"token": "abc", "password": "brand-new-Passw0rd"}),
]
REQUESTS = [{"email": "alice@example.com"}, {"email": "nobody@example.com"}]


def database_down(monkeypatch: Any) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("could not connect to server: Connection refused")

    for method in ("get_token", "clear_expired", "create_token"):
        monkeypatch.setattr(ORMTokenStore, method, down)


@pytest.mark.parametrize(("url", "body"), TOKEN_ENDPOINTS)
def test_unreachable_redis_store_is_a_503(api_client, user, settings, caplog, url, body) -> None:
    settings.CACHES = {**settings.CACHES, "dead": DEAD_REDIS}
    with (
        resetkit_overrides(TOKEN_STORE=DEAD_STORE),
        caplog.at_level(logging.ERROR, logger="resetkit"),
    ):
        response = api_client.post(url, body, format="json")
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE
    assert response["Retry-After"] == "30"
    assert any("could not use its database or cache" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(("url", "body"), TOKEN_ENDPOINTS)
def test_database_outage_is_a_503(api_client, user, monkeypatch, url, body) -> None:
    database_down(monkeypatch)
    response = api_client.post(url, body, format="json")
    assert response.status_code == 503
    assert response.json() == UNAVAILABLE


def test_request_answers_alike_and_logs_when_the_store_is_down_after_answering(
    api_client, user, settings, caplog, signals
) -> None:
    """The request endpoint answers before touching the store, so an outage inside the
    executor can only be logged; the answer is the same for every account."""
    settings.CACHES = {**settings.CACHES, "dead": DEAD_REDIS}
    with (
        resetkit_overrides(TOKEN_STORE=DEAD_STORE),
        caplog.at_level(logging.ERROR, logger="resetkit"),
        capture_issue_jobs() as jobs,
    ):
        known, unknown = (
            api_client.post("/api/password_reset/", b, format="json") for b in REQUESTS
        )
        assert known.status_code == unknown.status_code == 200
        assert known.content == unknown.content
        assert jobs.run() == 2
    failures = [r for r in caplog.records if "failed to issue reset tokens" in r.getMessage()]
    assert len(failures) == 1  # the known account; the unknown one never reaches the store
    assert "/api/password_reset/" in failures[0].getMessage()
    logged = [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    assert not any("alice@example.com" in line for line in logged)
    assert signals.created == []


def test_inline_request_with_database_down_answers_alike_and_logs(
    api_client, user, monkeypatch, caplog
) -> None:
    database_down(monkeypatch)
    with (
        resetkit_overrides(ISSUE_AFTER_RESPONSE=False),
        caplog.at_level(logging.ERROR, logger="resetkit"),
    ):
        answers = [api_client.post("/api/password_reset/", b, format="json") for b in REQUESTS]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].content == answers[1].content
    failures = [r for r in caplog.records if "failed to issue reset tokens" in r.getMessage()]
    assert len(failures) == 2


@pytest.mark.parametrize("cache", ["locmem", "redis"])
def test_inline_request_with_the_store_down_names_no_account(
    api_client, user, settings, signals, cache
) -> None:
    """Only an existing account reaches the store: were its outage a 503, the answer would
    tell the addresses apart, the whole outage long."""
    if cache == "redis" and settings.CACHE_KIND != "redis":
        pytest.skip("the default cache on Redis needs RESETKIT_TEST_CACHE=redis")
    settings.CACHES = {**settings.CACHES, "dead": DEAD_REDIS}
    with resetkit_overrides(TOKEN_STORE=DEAD_STORE, ISSUE_AFTER_RESPONSE=False):
        answers = [api_client.post("/api/password_reset/", b, format="json") for b in REQUESTS * 3]
    assert {a.status_code for a in answers} == {200}
    assert len({(a.content, tuple(sorted(a.headers.items()))) for a in answers}) == 1
    assert signals.created == []


@pytest.mark.parametrize("after_response", [True, False])
def test_tries_during_a_store_outage_do_not_spend_the_account_budget(
    api_client, user, settings, signals, after_response
) -> None:
    """ACCOUNT_TOKEN_RATE counts tokens issued: three tries while the store was down must not
    leave the user without a link for the rest of the hour once it is back."""
    settings.CACHES = {**settings.CACHES, "dead": DEAD_REDIS}
    with resetkit_overrides(
        TOKEN_STORE=DEAD_STORE, ACCOUNT_TOKEN_RATE="3/hour", ISSUE_AFTER_RESPONSE=after_response
    ):
        with capture_issue_jobs() as jobs:
            for _ in range(3):
                api_client.post("/api/password_reset/", REQUESTS[0], format="json")
        jobs.run()
    assert signals.created == []
    with resetkit_overrides(ACCOUNT_TOKEN_RATE="3/hour"):
        response = api_client.post("/api/password_reset/", REQUESTS[0], format="json")
    assert response.status_code == 200
    assert len(signals.created) == 1


def test_throttle_cache_down_is_a_503_for_every_account(api_client, user, settings) -> None:
    """Throttle history lives in the default cache; without it the endpoint cannot throttle."""
    settings.CACHES = {**settings.CACHES, "default": DEAD_REDIS}
    with resetkit_overrides(THROTTLE_CLASSES=None):
        answers = [api_client.post("/api/password_reset/", b, format="json") for b in REQUESTS]
    assert [a.status_code for a in answers] == [503, 503]
    assert answers[0].json() == answers[1].json() == UNAVAILABLE


def test_other_errors_are_not_disguised_as_outages(api_client, user, monkeypatch) -> None:
    def bug(*args: Any, **kwargs: Any) -> Any:
        raise ZeroDivisionError

    monkeypatch.setattr(ORMTokenStore, "get_token", bug)
    with pytest.raises(ZeroDivisionError):
        api_client.post("/api/password_reset/validate_token/", {"token": "x"}, format="json")
