"""code-flow.md: e-mail + six-digit code, five wrong codes per account revoke its codes."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import override_settings
from rest_framework.test import APIRequestFactory

from resetkit.contrib import email as contrib_email
from resetkit.mixins import INVALID_TOKEN_ERROR
from resetkit.views import reset_password_confirm, reset_password_validate_token
from tests.conftest import resetkit_overrides
from tests.cookbook import load_recipe

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-better-one-42"
GENERIC_404 = {"detail": str(INVALID_TOKEN_ERROR)}


@pytest.fixture(autouse=True)
def recipe():
    module = load_recipe("code_flow")
    with override_settings(ROOT_URLCONF=module):
        yield module


def request_code(api_client, email: str) -> str:
    """Ask for a code and read it from the e-mail, as the user does."""
    sent = len(mail.outbox)
    response = api_client.post("/api/password_reset/code/", {"email": email}, format="json")
    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    [message] = mail.outbox[sent:]
    assert message.to == [email]
    [code] = re.findall(r"\b[0-9]{6}\b", message.body)
    return code


def confirm(api_client, email: str, code: str, password: str = NEW_PASSWORD):
    return api_client.post(
        "/api/password_reset/code/confirm/",
        {"email": email, "code": code, "password": password},
        format="json",
    )


def wrong_codes(count: int, *right: str) -> list[str]:
    """``count`` six-digit codes, none of them one of the ``right`` ones."""
    start = int(right[0])
    candidates = (str((start - 100000 + n) % 900000 + 100000) for n in range(1, 100))
    return [code for code in candidates if code not in right][:count]


def test_code_by_email_resets_the_password(api_client, user) -> None:
    code = request_code(api_client, user.email)

    response = confirm(api_client, user.email, code)
    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    # Used once.
    assert confirm(api_client, user.email, code, "yet-another-one-43").status_code == 404


def test_email_is_matched_case_insensitively(api_client, user) -> None:
    code = request_code(api_client, user.email)

    assert confirm(api_client, user.email.upper(), code).status_code == 200


def test_right_code_with_another_email_is_the_generic_404(api_client, user, make_user) -> None:
    other = make_user(email="bob@example.com")
    code = request_code(api_client, user.email)

    for email in (other.email, "nobody@example.com"):
        response = confirm(api_client, email, code)
        assert (response.status_code, response.json()) == (404, GENERIC_404)
    other.refresh_from_db()
    assert not other.check_password(NEW_PASSWORD)
    # The code still works for its own account.
    assert confirm(api_client, user.email, code).status_code == 200


def test_malformed_code_is_a_400(api_client, user) -> None:
    response = confirm(api_client, user.email, "12345")

    assert response.status_code == 400
    assert set(response.json()) == {"code"}


def test_four_wrong_codes_leave_the_right_one_working(api_client, user) -> None:
    code = request_code(api_client, user.email)

    for wrong in wrong_codes(4, code):
        assert confirm(api_client, user.email, wrong).status_code == 404
    assert confirm(api_client, user.email, code).status_code == 200


def test_five_wrong_codes_revoke_every_code_of_the_account(api_client, user) -> None:
    first = request_code(api_client, user.email)
    second = request_code(api_client, user.email)

    for wrong in wrong_codes(5, first, second):
        assert confirm(api_client, user.email, wrong).status_code == 404

    assert confirm(api_client, user.email, first).status_code == 404
    assert confirm(api_client, user.email, second).status_code == 404
    user.refresh_from_db()
    assert user.check_password("old-Passw0rd!")
    # A new code, asked for afterwards, works.
    assert confirm(api_client, user.email, request_code(api_client, user.email)).status_code == 200


def test_failures_are_counted_per_account(api_client, user, make_user) -> None:
    bob = make_user(email="bob@example.com")
    alice_code = request_code(api_client, user.email)
    bob_code = request_code(api_client, bob.email)

    for wrong in wrong_codes(4, alice_code):
        assert confirm(api_client, user.email, wrong).status_code == 404
    for wrong in wrong_codes(5, bob_code):
        assert confirm(api_client, bob.email, wrong).status_code == 404

    assert confirm(api_client, bob.email, bob_code).status_code == 404
    assert confirm(api_client, user.email, alice_code).status_code == 200


def test_a_successful_reset_clears_the_count(api_client, user) -> None:
    code = request_code(api_client, user.email)
    for wrong in wrong_codes(4, code):
        confirm(api_client, user.email, wrong)
    assert confirm(api_client, user.email, code).status_code == 200

    code = request_code(api_client, user.email)
    for wrong in wrong_codes(4, code):
        confirm(api_client, user.email, wrong)
    assert confirm(api_client, user.email, code, "yet-another-one-43").status_code == 200


def test_weak_password_is_a_400_and_no_failure(api_client, user) -> None:
    code = request_code(api_client, user.email)
    for wrong in wrong_codes(4, code):
        confirm(api_client, user.email, wrong)

    response = confirm(api_client, user.email, code, "123")

    assert response.status_code == 400
    assert set(response.json()) == {"password"}
    assert confirm(api_client, user.email, code).status_code == 200


def test_stock_endpoints_do_not_know_the_codes(api_client, user) -> None:
    code = request_code(api_client, user.email)
    factory = APIRequestFactory()

    validate = factory.post("/", {"token": code}, format="json")
    assert reset_password_validate_token(validate).status_code == 404
    confirm_request = factory.post("/", {"token": code, "password": NEW_PASSWORD}, format="json")
    assert reset_password_confirm(confirm_request).status_code == 404
    assert confirm(api_client, user.email, code).status_code == 200


def test_link_receivers_do_not_get_the_codes(api_client, user, signals) -> None:
    with resetkit_overrides(RESET_URL="https://app.example/reset?token={token}"):
        contrib_email.connect()
        try:
            request_code(api_client, user.email)  # exactly one e-mail: the code
        finally:
            contrib_email.disconnect()

    assert signals.tokens == []
