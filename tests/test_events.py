"""The request path is observable: one record per outcome on the ``resetkit`` logger, with
structured fields, the user's pk where there is one, and never the token or the address."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from resetkit.events import loggable_pk, lookup_fingerprint
from resetkit.signals import reset_password_token_created
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db
URL = "/api/password_reset/"


def request(email: str = "alice@example.com", **extra: Any) -> Any:
    return APIClient().post(URL, {"email": email}, format="json", **extra)


def events(caplog: Any) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "resetkit" and hasattr(r, "reset_event")]


def assert_nothing_secret(caplog: Any, *secrets: str) -> None:
    for record in caplog.records:
        text = record.getMessage() + json.dumps(vars(record), default=str)
        for secret in secrets:
            assert secret.casefold() not in text.casefold()


@pytest.fixture
def log(caplog: Any) -> Any:
    with caplog.at_level(logging.INFO, logger="resetkit"):
        yield caplog


def test_issued(log: Any, user: Any, signals: Any) -> None:
    request("ALICE@example.com")
    [record] = events(log)
    assert record.levelno == logging.INFO
    assert record.reset_event == "request.issued"  # type: ignore[attr-defined]
    assert record.reset_user_pks == [loggable_pk(user.pk)]  # type: ignore[attr-defined]
    assert record.reset_lookup_fingerprint == lookup_fingerprint("alice@EXAMPLE.com")  # type: ignore[attr-defined]
    assert record.getMessage() == f"resetkit: reset request issued 1 token(s) (user pk {user.pk})."
    assert_nothing_secret(log, "alice@example.com", *signals.keys)


def test_no_eligible_account(log: Any, user: Any) -> None:
    request("nobody@example.com")
    [record] = events(log)
    assert (record.levelno, record.reset_event) == (logging.INFO, "request.no_eligible_account")  # type: ignore[attr-defined]
    assert record.reset_user_pks == []  # type: ignore[attr-defined]
    assert_nothing_secret(log, "nobody@example.com")


def test_budget_spent(log: Any, user: Any, signals: Any) -> None:
    with resetkit_overrides(ACCOUNT_TOKEN_RATE="1/hour"):
        request()
        request()
    issued, spent = events(log)
    assert issued.reset_event == "request.issued"  # type: ignore[attr-defined]
    assert spent.reset_event == "request.budget_spent"  # type: ignore[attr-defined]
    assert spent.reset_budget_spent_pks == [loggable_pk(user.pk)]  # type: ignore[attr-defined]
    assert len(signals.created) == 1


def test_delivery_failed(log: Any, user: Any) -> None:
    def broken(**kwargs: Any) -> None:
        raise ConnectionRefusedError("SMTP on localhost:25")

    reset_password_token_created.connect(broken, dispatch_uid="broken-delivery")
    try:
        request()
    finally:
        reset_password_token_created.disconnect(dispatch_uid="broken-delivery")
    failed = [r for r in events(log) if r.reset_event == "request.delivery_failed"]  # type: ignore[attr-defined]
    [record] = failed
    assert record.levelno == logging.ERROR
    assert record.reset_user_pk == loggable_pk(user.pk)  # type: ignore[attr-defined]
    assert "broken" in record.reset_receiver  # type: ignore[attr-defined]


def test_throttled(log: Any, user: Any) -> None:
    with resetkit_overrides(THROTTLE_CLASSES=None):
        answers = [request().status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    [record] = [r for r in events(log) if r.reset_event == "request.throttled"]  # type: ignore[attr-defined]
    assert record.levelno == logging.INFO
    assert record.reset_client_ip == "127.0.0.1"  # type: ignore[attr-defined]
    assert record.reset_wait > 0  # type: ignore[attr-defined]


@override_settings(DEBUG=True)
def test_debug_explains_a_request_that_sends_nothing(log: Any, user: Any) -> None:
    with resetkit_overrides(THROTTLE_CLASSES=None, ACCOUNT_TOKEN_RATE="1/hour"):
        request("nobody@example.com")
        request()
        request()
        request()
    hints = [r.getMessage() for r in events(log) if r.levelno == logging.WARNING]
    # The sliding window forgets in slices of a sixtieth of the day: a day and up to one slice.
    retry = re.search(r"retry in (\d+) s", hints[-1])
    assert retry is not None and 86400 <= int(retry.group(1)) <= 86400 + 1440
    assert hints[-1] == (
        f"resetkit: reset request from 127.0.0.1 throttled (retry in {retry.group(1)} s). "
        "To lift it now: python manage.py clearresetthrottles --ip 127.0.0.1"
    )
    assert hints == [
        "resetkit: reset request sent nothing: no eligible account matches. No active user "
        "whose 'email' matches the submitted address and who has a usable password (see "
        "get_user_queryset and is_user_eligible).",
        f"resetkit: reset request sent nothing: the account budget is spent (user pk "
        f"{user.pk}). ACCOUNT_TOKEN_RATE is '1/hour': wait, or run `python manage.py "
        "clearresetthrottles --email <address>`.",
        hints[-1],
    ]


def test_fingerprint_is_keyed_and_normalised(settings: Any) -> None:
    first = lookup_fingerprint("Alice@Example.com")
    assert first == lookup_fingerprint("alice@example.com")
    assert len(first) == 16 and "alice" not in first
    settings.SECRET_KEY = "another-secret-key-that-is-long-enough-for-hmac"
    assert lookup_fingerprint("alice@example.com") != first
