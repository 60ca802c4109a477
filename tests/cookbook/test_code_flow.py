"""code-flow.md: the built-in code flow with six-digit codes and the app's own message."""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import ModuleType

import pytest
from django.core import mail
from django.test import override_settings

from resetkit.mixins import INVALID_TOKEN_ERROR
from resetkit.signals import reset_code_created
from tests.conftest import resetkit_overrides
from tests.cookbook import load_recipe

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-better-one-42"


@pytest.fixture(autouse=True)
def recipe() -> Iterator[ModuleType]:
    module = load_recipe("code_flow")
    unthrottled = {"VALIDATE_THROTTLE_CLASSES": [], "CONFIRM_THROTTLE_CLASSES": []}
    try:
        with override_settings(ROOT_URLCONF=module), resetkit_overrides(**unthrottled):
            yield module
    finally:
        reset_code_created.disconnect(dispatch_uid="acme-code")


def request_code(api_client, email: str) -> str:
    sent = len(mail.outbox)
    response = api_client.post("/api/password_reset/code/", {"email": email}, format="json")
    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    [message] = mail.outbox[sent:]
    assert message.subject == "Your Acme sign-in code"
    [code] = re.findall(r"Acme code: ([0-9]+)\.", message.body)
    return code


def confirm(api_client, email: str, code: str):
    return api_client.post(
        "/api/password_reset/code/confirm/",
        {"email": email, "code": code, "password": NEW_PASSWORD},
        format="json",
    )


def test_six_digit_code_in_the_apps_own_message_resets_the_password(api_client, user) -> None:
    code = request_code(api_client, user.email)
    assert len(code) == 6

    validate = api_client.post(
        "/api/password_reset/code/validate/", {"email": user.email, "code": code}, format="json"
    )
    assert validate.status_code == 200
    assert confirm(api_client, user.email, code).status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_the_built_in_protections_still_hold(api_client, user, make_user) -> None:
    bob = make_user(email="bob@example.com")
    code = request_code(api_client, user.email)

    answer = confirm(api_client, bob.email, code)
    assert (answer.status_code, answer.json()) == (404, {"detail": str(INVALID_TOKEN_ERROR)})
    wrong = [c for c in ("000001", "000002", "000003", "000004", "000005", "000006") if c != code]
    for guess in wrong[:5]:
        assert confirm(api_client, user.email, guess).status_code == 404
    assert confirm(api_client, user.email, code).status_code == 404  # revoked
