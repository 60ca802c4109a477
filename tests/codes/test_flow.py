"""The built-in e-mail + code flow from end to end, and what keeps it apart from links."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIRequestFactory

from resetkit.codes.generators import NumericCodeGenerator
from resetkit.codes.views import ResetPasswordRequestCode
from resetkit.generators import makes_short_codes
from resetkit.mixins import INVALID_TOKEN_ERROR
from resetkit.signals import reset_code_created
from resetkit.views import reset_password_confirm, reset_password_validate_token
from tests.codes.conftest import (
    CONFIRM,
    NEW_PASSWORD,
    REQUEST,
    VALIDATE,
    confirm,
    request_code,
    validate,
    wrong_codes,
)
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

GENERIC_404 = {"detail": str(INVALID_TOKEN_ERROR)}


def test_urls_are_named_in_their_namespace() -> None:
    assert reverse("password_reset_code:reset-password-code-request") == REQUEST
    assert reverse("password_reset_code:reset-password-code-validate") == VALIDATE
    assert reverse("password_reset_code:reset-password-code-confirm") == CONFIRM


def test_request_validate_confirm_then_log_in(api_client, user) -> None:
    code = request_code(api_client, user.email)

    [message] = mail.outbox
    assert message.subject == "Your password reset code"
    assert code in message.alternatives[0][0]  # the HTML part
    assert "http" not in message.body  # a code, not a link
    assert len(code) == 8

    assert (validate(api_client, user.email, code).json()) == {"status": "OK"}
    response = confirm(api_client, user.email, code)
    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    assert authenticate(username=user.username, password=NEW_PASSWORD) == user
    # Used once.
    assert confirm(api_client, user.email, code, "yet-another-one-43").status_code == 404


@override_settings(ROOT_URLCONF="tests.codes.urls")
def test_the_router_viewset_runs_the_same_flow(api_client, user) -> None:
    base = reverse("reset-password-code-list")
    assert base == "/coderouter/api/auth/passwordreset-code/"
    assert reverse("reset-password-code-validate") == f"{base}validate/"
    response = api_client.post(base, {"email": user.email}, format="json")
    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    [code] = [line for line in mail.outbox[0].body.splitlines() if line.isdigit()]

    body = {"email": user.email, "code": code}
    assert api_client.post(f"{base}validate/", body, format="json").status_code == 200
    answer = api_client.post(f"{base}confirm/", {**body, "password": NEW_PASSWORD}, format="json")
    assert answer.status_code == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_the_answer_is_the_same_for_unknown_addresses(api_client, user) -> None:
    unknown = api_client.post(REQUEST, {"email": "nobody@example.com"}, format="json")
    assert (unknown.status_code, unknown.json()) == (200, {"status": "OK"})
    assert mail.outbox == []


def test_code_length_follows_the_setting(api_client, user) -> None:
    with resetkit_overrides(CODE_LENGTH=6):
        code = request_code(api_client, user.email)
        assert len(code) == 6
        assert confirm(api_client, user.email, code).status_code == 200


def test_codes_may_start_with_zeros(api_client, user, monkeypatch) -> None:
    monkeypatch.setattr("resetkit.codes.generators.secrets.randbelow", lambda n: 42)
    code = request_code(api_client, user.email)
    assert code == "00000042"
    assert validate(api_client, user.email, "42").status_code == 404  # not the same code
    assert confirm(api_client, user.email, code).status_code == 200


def test_generator_reports_its_entropy() -> None:
    assert NumericCodeGenerator(8).entropy_bits() == pytest.approx(26.575, abs=0.001)
    assert makes_short_codes(NumericCodeGenerator(8))
    assert len({NumericCodeGenerator(8).generate_token() for _ in range(50)}) > 40


def test_codes_live_code_expiry_minutes(api_client, user, clock) -> None:
    with resetkit_overrides(CODE_EXPIRY_MINUTES=15):
        code = request_code(api_client, user.email)
        clock.shift(timedelta(minutes=14))
        assert validate(api_client, user.email, code).status_code == 200
        clock.shift(timedelta(minutes=2))
        assert validate(api_client, user.email, code).status_code == 404
        fresh = request_code(api_client, user.email)
    with resetkit_overrides(CODE_EXPIRY_MINUTES=60):
        clock.shift(timedelta(minutes=30))
        assert validate(api_client, user.email, fresh).status_code == 200


def test_malformed_input_is_a_400_naming_the_field(api_client, user) -> None:
    for body, field in [
        ({"email": user.email, "code": "12ab5678"}, "code"),
        ({"email": user.email}, "code"),
        ({"code": "12345678"}, "email"),
        ({"email": "not-an-address", "code": "12345678"}, "email"),
    ]:
        response = api_client.post(VALIDATE, body, format="json")
        assert response.status_code == 400
        assert set(response.json()) == {field}


def test_a_code_of_another_length_is_a_wrong_code(api_client, user) -> None:
    code = request_code(api_client, user.email)
    answer = validate(api_client, user.email, code[:6])
    assert (answer.status_code, answer.json()) == (404, GENERIC_404)


def test_stock_endpoints_do_not_know_the_codes(api_client, user) -> None:
    code = request_code(api_client, user.email)
    factory = APIRequestFactory()
    for body in ({"token": code}, {"token": code, "email": user.email}):
        assert (
            reset_password_validate_token(factory.post("/", body, format="json")).status_code == 404
        )
        confirm_body = {**body, "password": NEW_PASSWORD}
        assert (
            reset_password_confirm(factory.post("/", confirm_body, format="json")).status_code
            == 404
        )
    assert confirm(api_client, user.email, code).status_code == 200


def test_code_endpoints_do_not_know_the_links(api_client, user, signals) -> None:
    """A stock token of a generator as short as a code is still not a code."""
    eight_digits = {
        "CLASS": "resetkit.generators.RandomNumberTokenGenerator",
        "OPTIONS": {"min_number": 10_000_000, "max_number": 99_999_999},
    }
    with resetkit_overrides(TOKEN_GENERATOR=eight_digits):
        api_client.post("/api/password_reset/", {"email": user.email}, format="json")
    [key] = signals.keys
    assert validate(api_client, user.email, key).status_code == 404


def test_link_receivers_never_get_a_code(api_client, user, signals) -> None:
    received = []

    def on_code(**kwargs: object) -> None:
        received.append(kwargs)

    reset_code_created.connect(on_code, dispatch_uid="test-code")
    try:
        code = request_code(api_client, user.email)
    finally:
        reset_code_created.disconnect(dispatch_uid="test-code")

    assert signals.created == []  # reset_password_token_created was not sent
    [sent] = received
    assert sent["sender"] is ResetPasswordRequestCode
    assert sent["reset_password_token"].key == code
    assert sent["reset_password_token"].user == user


def test_wrong_codes_from_many_addresses_still_count_for_the_account(api_client, user) -> None:
    """The budget is the account's, not the client's: rotating addresses buys nothing."""
    code = request_code(api_client, user.email)
    for n, wrong in enumerate(wrong_codes(5, code)):
        answer = api_client.post(
            VALIDATE, {"email": user.email, "code": wrong}, format="json", REMOTE_ADDR=f"10.0.0.{n}"
        )
        assert answer.status_code == 404
    assert validate(api_client, user.email, code).status_code == 404
