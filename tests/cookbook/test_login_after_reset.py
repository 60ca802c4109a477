"""log-in-after-reset.md: confirm logs in (session, authtoken, simplejwt), never around a
second factor."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client, override_settings
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from resetkit.mixins import INVALID_TOKEN_ERROR
from tests.cookbook import load_recipe

pytestmark = pytest.mark.django_db

OLD_PASSWORD = "old-Passw0rd!"
NEW_PASSWORD = "n3w-Passw0rd!"
SECOND_FACTOR_REQUIRED = {"status": "OK", "login": "second_factor_required"}
BASE = "/api/password_reset/confirm_and_log_in"


@pytest.fixture(autouse=True)
def recipe():
    module = load_recipe("login_after_reset")
    with override_settings(ROOT_URLCONF=module):
        yield module


def request_token(api_client, user, signals) -> str:
    sent = len(signals.keys)
    response = api_client.post("/api/password_reset/", {"email": user.email}, format="json")
    assert response.status_code == 200
    return signals.keys[sent]


def confirm(api_client, kind: str, token: str, password: str = NEW_PASSWORD):
    body = {"token": token, "password": password}
    return api_client.post(f"{BASE}/{kind}/", body, format="json")


def session_user(session_key: str):
    """The user a request with this session would be, as Django's middleware decides."""
    return get_user(SimpleNamespace(session=SessionStore(session_key)))


def add_second_factor(user, confirmed: bool = True) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="phone", confirmed=confirmed)


# -- the session -------------------------------------------------------------------------------


def test_session_login_sets_a_session_with_the_new_password(api_client, user, signals) -> None:
    # A session opened with the old password, elsewhere.
    old_browser = Client()
    assert old_browser.login(username=user.username, password=OLD_PASSWORD)
    old_session = old_browser.cookies[settings.SESSION_COOKIE_NAME].value
    assert session_user(old_session) == user

    response = confirm(api_client, "session", request_token(api_client, user, signals))

    assert (response.status_code, response.json()) == (200, {"status": "OK", "login": "done"})
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    new_session = response.cookies[settings.SESSION_COOKIE_NAME].value
    assert SessionStore(new_session)[SESSION_KEY] == str(user.pk)
    # The new session carries the new password's hash: valid. The old one is not any more.
    assert session_user(new_session) == user
    assert session_user(old_session).is_anonymous


def test_the_stock_confirm_still_does_not_log_in(api_client, user, signals) -> None:
    body = {"token": request_token(api_client, user, signals), "password": NEW_PASSWORD}
    response = api_client.post("/api/password_reset/confirm/", body, format="json")

    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    assert settings.SESSION_COOKIE_NAME not in response.cookies


# -- authtoken ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "revokers", [[], ["resetkit.revokers.authtoken.revoke_auth_tokens"]], ids=["kept", "revoked"]
)
def test_token_login_returns_a_fresh_token(api_client, user, signals, revokers) -> None:
    old = Token.objects.create(user=user)
    token = request_token(api_client, user, signals)

    with override_settings(RESETKIT={**settings.RESETKIT, "POST_RESET_REVOKERS": revokers}):
        response = confirm(api_client, "token", token)

    assert response.status_code == 200
    body = response.json()
    assert body == {"status": "OK", "login": "done", "token": body["token"]}
    # Whether or not the revoker deleted it, the old key is gone and the new one works.
    assert list(Token.objects.filter(user=user).values_list("key", flat=True)) == [body["token"]]
    assert body["token"] != old.key
    assert TokenAuthentication().authenticate_credentials(body["token"])[0] == user


# -- simplejwt ---------------------------------------------------------------------------------


def test_jwt_login_returns_a_pair_for_the_user(api_client, user, signals) -> None:
    earlier = RefreshToken.for_user(user)
    token = request_token(api_client, user, signals)

    revokers = ["resetkit.revokers.simplejwt.blacklist_refresh_tokens"]
    with override_settings(RESETKIT={**settings.RESETKIT, "POST_RESET_REVOKERS": revokers}):
        response = confirm(api_client, "jwt", token)

    assert response.status_code == 200
    body = response.json()
    assert body == {
        "status": "OK",
        "login": "done",
        "access": body["access"],
        "refresh": body["refresh"],
    }
    assert str(AccessToken(body["access"])["user_id"]) == str(user.pk)
    refresh = RefreshToken(body["refresh"])
    assert str(refresh["user_id"]) == str(user.pk)
    # The revoker ended the refresh token from before the reset, not the one made after it.
    blacklisted = set(BlacklistedToken.objects.values_list("token__jti", flat=True))
    assert earlier["jti"] in blacklisted
    assert refresh["jti"] not in blacklisted
    assert OutstandingToken.objects.filter(user=user, jti=refresh["jti"]).exists()


# -- never around a second factor ---------------------------------------------------------------


@pytest.mark.parametrize("kind", ["session", "token", "jwt"])
def test_no_login_for_an_account_with_a_second_factor(api_client, user, signals, kind) -> None:
    add_second_factor(user)
    outstanding = OutstandingToken.objects.count()

    response = confirm(api_client, kind, request_token(api_client, user, signals))

    assert (response.status_code, response.json()) == (200, SECOND_FACTOR_REQUIRED)
    # The password is set, and no credential of any kind was handed out.
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Token.objects.filter(user=user).exists()
    assert OutstandingToken.objects.count() == outstanding


@pytest.mark.parametrize("kind", ["session", "token", "jwt"])
def test_an_unconfirmed_device_is_no_second_factor(api_client, user, signals, kind) -> None:
    add_second_factor(user, confirmed=False)

    response = confirm(api_client, kind, request_token(api_client, user, signals))

    assert response.status_code == 200
    assert response.json()["login"] == "done"


# -- failures keep the stock shape -------------------------------------------------------------


@pytest.mark.parametrize("kind", ["session", "token", "jwt"])
def test_a_bad_token_is_the_generic_404_and_logs_nobody_in(api_client, user, kind) -> None:
    response = confirm(api_client, kind, "not-a-token")

    assert (response.status_code, response.json()) == (404, {"detail": str(INVALID_TOKEN_ERROR)})
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Token.objects.exists()


@pytest.mark.parametrize("kind", ["session", "token", "jwt"])
def test_a_weak_password_is_a_400_and_logs_nobody_in(api_client, user, signals, kind) -> None:
    token = request_token(api_client, user, signals)

    response = confirm(api_client, kind, token, password="123")

    assert response.status_code == 400
    assert set(response.json()) == {"password"}
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert not Token.objects.exists()
    assert confirm(api_client, kind, token).status_code == 200  # the token was kept
