"""reset-with-totp.md: confirm asks an account with a TOTP device for its current code."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.test import override_settings
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from resetkit.mixins import INVALID_TOKEN_ERROR
from tests.cookbook import load_recipe

pytestmark = pytest.mark.django_db

OLD_PASSWORD = "old-Passw0rd!"
NEW_PASSWORD = "n3w-Passw0rd!"
OTP_REQUIRED = {"otp": ["Enter the code from your authenticator app."]}
OTP_INVALID = {"otp": ["This code is not valid. Wait for the next one and try again."]}


@pytest.fixture(autouse=True)
def recipe():
    module = load_recipe("reset_with_totp")
    with override_settings(ROOT_URLCONF=module):
        yield module


@pytest.fixture
def device(user) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=True)


def current_code(device: TOTPDevice) -> str:
    """The code the user's authenticator app shows now, computed from the device's key."""
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:0{device.digits}d}"


def wrong_code(device: TOTPDevice) -> str:
    return f"{(int(current_code(device)) + 1) % 10**device.digits:0{device.digits}d}"


def request_token(api_client, user, signals) -> str:
    sent = len(signals.keys)
    response = api_client.post("/api/password_reset/", {"email": user.email}, format="json")
    assert response.status_code == 200
    return signals.keys[sent]


def confirm(api_client, token: str, path: str = "confirm/", **body: str):
    body = {"token": token, "password": NEW_PASSWORD, **body}
    return api_client.post(f"/api/password_reset/{path}", body, format="json")


def token_is_alive(api_client, token: str) -> bool:
    response = api_client.post(
        "/api/password_reset/validate_token/", {"token": token}, format="json"
    )
    return response.status_code == 200


def password_is(user, password: str) -> bool:
    user.refresh_from_db()
    return user.check_password(password)


def test_an_account_without_a_device_resets_without_a_code(api_client, user, signals) -> None:
    response = confirm(api_client, request_token(api_client, user, signals))

    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    assert password_is(user, NEW_PASSWORD)


def test_an_unconfirmed_device_asks_for_nothing(api_client, user, signals) -> None:
    TOTPDevice.objects.create(user=user, name="phone", confirmed=False)

    response = confirm(api_client, request_token(api_client, user, signals))

    assert response.status_code == 200
    assert password_is(user, NEW_PASSWORD)


@pytest.mark.parametrize("body", [{}, {"otp": ""}], ids=["absent", "blank"])
def test_without_the_code_a_400_and_nothing_changes(
    api_client, user, device, signals, body
) -> None:
    token = request_token(api_client, user, signals)

    response = confirm(api_client, token, **body)

    assert (response.status_code, response.json()) == (400, OTP_REQUIRED)
    assert password_is(user, OLD_PASSWORD)
    assert signals.pre == []
    assert token_is_alive(api_client, token)


def test_the_current_code_resets(api_client, user, device, signals) -> None:
    token = request_token(api_client, user, signals)

    response = confirm(api_client, token, otp=current_code(device))

    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    assert password_is(user, NEW_PASSWORD)
    assert not token_is_alive(api_client, token)


def test_a_wrong_code_is_a_400_that_counts(api_client, user, device, signals) -> None:
    token = request_token(api_client, user, signals)

    response = confirm(api_client, token, otp=wrong_code(device))

    assert (response.status_code, response.json()) == (400, OTP_INVALID)
    assert password_is(user, OLD_PASSWORD)
    assert token_is_alive(api_client, token)
    # The failure was committed, though the answer was an error.
    device.refresh_from_db()
    assert device.throttling_failure_count == 1


@override_settings(OTP_TOTP_THROTTLE_FACTOR=60)
def test_after_a_wrong_code_even_the_right_one_waits(api_client, user, device, signals) -> None:
    token = request_token(api_client, user, signals)
    assert confirm(api_client, token, otp=wrong_code(device)).status_code == 400

    response = confirm(api_client, token, otp=current_code(device))

    assert (response.status_code, response.json()) == (400, OTP_INVALID)
    assert password_is(user, OLD_PASSWORD)


def test_a_code_works_once(api_client, user, device, signals) -> None:
    code = current_code(device)
    assert (
        confirm(api_client, request_token(api_client, user, signals), otp=code).status_code == 200
    )

    response = confirm(api_client, request_token(api_client, user, signals), otp=code)

    assert (response.status_code, response.json()) == (400, OTP_INVALID)


def test_a_weak_password_spends_no_code(api_client, user, device, signals) -> None:
    token = request_token(api_client, user, signals)
    code = current_code(device)

    response = confirm(api_client, token, otp=code, password="123")

    assert response.status_code == 400
    assert set(response.json()) == {"password"}
    device.refresh_from_db()
    assert (device.last_t, device.throttling_failure_count) == (-1, 0)
    assert confirm(api_client, token, otp=code).status_code == 200


@pytest.mark.parametrize("otp", [None, "123456"], ids=["no-code", "a-code"])
def test_a_bad_token_is_the_generic_404_before_any_code(api_client, user, device, otp) -> None:
    body = {} if otp is None else {"otp": otp}

    response = confirm(api_client, "not-a-token", **body)

    # Nobody learns that the account has a second factor without a live token.
    assert (response.status_code, response.json()) == (404, {"detail": str(INVALID_TOKEN_ERROR)})
    device.refresh_from_db()
    assert device.throttling_failure_count == 0


def test_a_code_that_is_too_long_is_a_400(api_client, user, device, signals) -> None:
    response = confirm(api_client, request_token(api_client, user, signals), otp="1" * 17)

    assert response.status_code == 400
    assert set(response.json()) == {"otp"}


# -- confirm and log in ------------------------------------------------------------------------


def test_log_in_records_the_device_in_the_session(api_client, user, device, signals) -> None:
    token = request_token(api_client, user, signals)

    response = confirm(api_client, token, "confirm_and_log_in/", otp=current_code(device))

    assert (response.status_code, response.json()) == (200, {"status": "OK", "login": "done"})
    session = SessionStore(response.cookies[settings.SESSION_COOKIE_NAME].value)
    assert session[SESSION_KEY] == str(user.pk)
    assert session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_log_in_without_a_device(api_client, user, signals) -> None:
    response = confirm(api_client, request_token(api_client, user, signals), "confirm_and_log_in/")

    assert (response.status_code, response.json()) == (200, {"status": "OK", "login": "done"})
    session = SessionStore(response.cookies[settings.SESSION_COOKIE_NAME].value)
    assert session[SESSION_KEY] == str(user.pk)
    assert DEVICE_ID_SESSION_KEY not in session


def test_no_log_in_around_another_kind_of_second_factor(
    api_client, user, signals, recipe, monkeypatch
) -> None:
    # As if the account had backup codes or a security key, and no TOTP device.
    monkeypatch.setattr(recipe, "user_has_device", lambda user, confirmed=True: True)

    response = confirm(api_client, request_token(api_client, user, signals), "confirm_and_log_in/")

    assert response.json() == {"status": "OK", "login": "second_factor_required"}
    assert password_is(user, NEW_PASSWORD)
    assert settings.SESSION_COOKIE_NAME not in response.cookies
