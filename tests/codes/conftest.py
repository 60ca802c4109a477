"""Helpers of the code flow's tests: ask for a code and read it from the e-mail."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail

from resetkit.contrib import email as contrib_email
from tests.conftest import resetkit_overrides

REQUEST = "/api/password_reset/code/"
VALIDATE = "/api/password_reset/code/validate/"
CONFIRM = "/api/password_reset/code/confirm/"
NEW_PASSWORD = "a-much-better-one-42"


@pytest.fixture(autouse=True)
def _unthrottled() -> Iterator[None]:
    """No per-client throttle: these tests send many codes from one address on purpose (the
    throttles are tested in tests/security and tests/test_throttling.py)."""
    with resetkit_overrides(VALIDATE_THROTTLE_CLASSES=[], CONFIRM_THROTTLE_CLASSES=[]):
        yield


@pytest.fixture(autouse=True)
def code_mail() -> Iterator[None]:
    """The ready-made receivers, as a project connects them (codes need no RESET_URL)."""
    contrib_email.connect(links=False)
    yield
    contrib_email.disconnect()


def request_code(client: Any, email: str) -> str:
    """Ask for a code and read it from the e-mail, as the user does."""
    sent = len(mail.outbox)
    response = client.post(REQUEST, {"email": email}, format="json")
    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    [message] = mail.outbox[sent:]
    assert message.to == [email]
    [code] = re.findall(r"^([0-9]+)$", message.body, re.MULTILINE)
    return code


def validate(client: Any, email: str, code: str) -> Any:
    return client.post(VALIDATE, {"email": email, "code": code}, format="json")


def confirm(client: Any, email: str, code: str, password: str = NEW_PASSWORD) -> Any:
    return client.post(CONFIRM, {"email": email, "code": code, "password": password}, format="json")


def wrong_codes(count: int, *right: str, length: int = 8) -> list[str]:
    """``count`` codes of ``length`` digits, none of them one of the ``right`` ones."""
    candidates = (str(n).zfill(length) for n in range(1, 1000))
    return [code for code in candidates if code not in right][:count]
