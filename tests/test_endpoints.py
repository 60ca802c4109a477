"""The three endpoints, end to end, on every token store (``store_kind``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from resetkit.mixins import INVALID_TOKEN_ERROR

pytestmark = pytest.mark.django_db

REQUEST_URL = reverse("password_reset:reset-password-request")
VALIDATE_URL = reverse("password_reset:reset-password-validate")
CONFIRM_URL = reverse("password_reset:reset-password-confirm")
NEW_PASSWORD = "a-new-Passw0rd-for-tests"


def request_token(client: Any, email: str, **extra: Any) -> Any:
    return client.post(REQUEST_URL, {"email": email}, format="json", **extra)


def reload(user: Any) -> Any:
    return get_user_model()._default_manager.get(pk=user.pk)


def test_urls_have_upstream_paths() -> None:
    assert REQUEST_URL == "/api/password_reset/"
    assert VALIDATE_URL == "/api/password_reset/validate_token/"
    assert CONFIRM_URL == "/api/password_reset/confirm/"


def test_full_reset_flow(store_kind, api_client, user, signals) -> None:
    response = request_token(api_client, "alice@example.com")
    assert response.status_code == 200
    assert response.json() == {"status": "OK"}
    assert len(signals.created) == 1
    sent = signals.created[0]
    assert sent["instance"].request.data == {"email": "alice@example.com"}
    token = sent["reset_password_token"]
    assert token.user == user and token.key

    response = api_client.post(VALIDATE_URL, {"token": token.key}, format="json")
    assert response.status_code == 200
    assert response.json() == {"status": "OK"}

    response = api_client.post(
        CONFIRM_URL, {"token": token.key, "password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "OK"}
    assert reload(user).check_password(NEW_PASSWORD)
    assert [c["user"] for c in signals.pre] == [user]
    assert [c["user"] for c in signals.post] == [user]
    assert signals.pre[0]["reset_password_token"].key == token.key

    # Single use: the token is gone after the reset.
    for url, body in (
        (VALIDATE_URL, {"token": token.key}),
        (CONFIRM_URL, {"token": token.key, "password": "another-Passw0rd-x"}),
    ):
        response = api_client.post(url, body, format="json")
        assert response.status_code == 404
        assert response.json() == {"detail": str(INVALID_TOKEN_ERROR)}
    assert reload(user).check_password(NEW_PASSWORD)


def test_signal_sender_is_the_view_class(store_kind, api_client, user, signals) -> None:
    from resetkit.views import ResetPasswordRequestToken

    request_token(api_client, "alice@example.com")
    assert signals.created[0]["sender"] is ResetPasswordRequestToken
    assert isinstance(signals.created[0]["instance"], ResetPasswordRequestToken)


def test_unknown_account_gets_the_same_answer_and_no_token(store_kind, api_client, user, signals):
    known = request_token(api_client, "alice@example.com")
    unknown = request_token(api_client, "nobody@example.com")
    assert unknown.status_code == known.status_code == 200
    assert unknown.content == known.content
    assert sorted(unknown.headers) == sorted(known.headers)
    assert len(signals.created) == 1


@pytest.mark.parametrize(
    "flags",
    [{"is_active": False}, {"password": None}],
    ids=["inactive", "unusable-password"],
)
def test_ineligible_accounts_get_no_token(store_kind, api_client, make_user, signals, flags):
    make_user(email="bob@example.com", **flags)
    response = request_token(api_client, "bob@example.com")
    assert response.status_code == 200
    assert response.json() == {"status": "OK"}
    assert signals.created == []


def test_unusable_password_allowed_when_not_required(store_kind, api_client, make_user, signals):
    from tests.conftest import resetkit_overrides

    make_user(email="ldap@example.com", password=None)
    with resetkit_overrides(REQUIRE_USABLE_PASSWORD=False):
        request_token(api_client, "ldap@example.com")
    assert len(signals.created) == 1


def test_upstream_flat_setting_for_usable_password(
    store_kind, api_client, make_user, signals, settings
):
    settings.DJANGO_REST_MULTITOKENAUTH_REQUIRE_USABLE_PASSWORD = False
    make_user(email="ldap@example.com", password=None)
    request_token(api_client, "ldap@example.com")
    assert len(signals.created) == 1


def test_legacy_information_leakage_mode(store_kind, api_client, user, settings, signals):
    settings.DJANGO_REST_PASSWORDRESET_NO_INFORMATION_LEAKAGE = False
    response = request_token(api_client, "nobody@example.com")
    assert response.status_code == 400
    assert response.json() == {
        "email": [
            "We couldn't find an account associated with that email. "
            "Please try a different e-mail address."
        ]
    }
    assert request_token(api_client, "alice@example.com").status_code == 200


def test_malformed_email_is_a_400(store_kind, api_client, user, signals):
    response = request_token(api_client, "not-an-email")
    assert response.status_code == 400
    assert "email" in response.json()
    assert signals.created == []


def test_lookup_is_case_insensitive(store_kind, api_client, user, signals):
    request_token(api_client, "ALICE@Example.COM")
    assert [t.user for t in signals.tokens] == [user]


def test_every_matching_eligible_account_gets_its_own_token(
    store_kind, api_client, make_user, signals
):
    first = make_user(email="twin@example.com")
    second = make_user(email="TWIN@example.com")
    make_user(email="Twin@Example.com", is_active=False)
    request_token(api_client, "twin@example.com")
    assert sorted(t.user.pk for t in signals.tokens) == sorted([first.pk, second.pk])
    assert len(set(signals.keys)) == 2


def test_lookup_field_setting(store_kind, api_client, make_user, signals, settings):
    target = make_user(email="real@example.com", username="handle@example.com")
    settings.DJANGO_REST_LOOKUP_FIELD = "username"
    request_token(api_client, "handle@example.com")
    assert [t.user for t in signals.tokens] == [target]


def test_ip_address_and_user_agent_are_recorded(store_kind, api_client, user, signals):
    request_token(api_client, "alice@example.com", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="UA/1")
    token = signals.tokens[0]
    assert token.ip_address == "10.1.2.3"
    assert token.user_agent == "UA/1"


def test_custom_ip_and_user_agent_headers(store_kind, api_client, user, signals, settings):
    settings.DJANGO_REST_PASSWORDRESET_IP_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.DJANGO_REST_PASSWORDRESET_HTTP_USER_AGENT_HEADER = "HTTP_X_CLIENT"
    request_token(
        api_client,
        "alice@example.com",
        HTTP_X_FORWARDED_FOR="203.0.113.7, 10.0.0.1",
        HTTP_X_CLIENT="custom-agent",
    )
    token = signals.tokens[0]
    assert token.ip_address == "203.0.113.7"
    assert token.user_agent == "custom-agent"


def test_ip_header_that_is_not_an_address_is_not_stored(
    store_kind, api_client, user, signals, settings
):
    settings.DJANGO_REST_PASSWORDRESET_IP_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"
    response = request_token(api_client, "alice@example.com", HTTP_X_FORWARDED_FOR="<script>")
    assert response.status_code == 200
    assert signals.tokens[0].ip_address is None


def test_a_new_request_leaves_the_newest_token_usable(store_kind, api_client, user, signals):
    request_token(api_client, "alice@example.com")
    request_token(api_client, "alice@example.com")
    first, second = signals.keys
    assert first != second
    assert api_client.post(VALIDATE_URL, {"token": second}, format="json").status_code == 200


def test_successful_reset_revokes_every_token_of_the_user(
    store_kind, api_client, user, make_user, signals
):
    other = make_user(email="other@example.com")
    for email in ("alice@example.com", "alice@example.com", "other@example.com"):
        request_token(api_client, email)
    first, second, others = signals.keys
    response = api_client.post(
        CONFIRM_URL, {"token": second, "password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert api_client.post(VALIDATE_URL, {"token": first}, format="json").status_code == 404
    assert api_client.post(VALIDATE_URL, {"token": others}, format="json").status_code == 200
    assert reload(other).check_password("old-Passw0rd!")


@pytest.mark.parametrize("token", ["", "nonexistent-token", "x" * 256])
def test_unknown_tokens_get_the_generic_404_or_a_400(store_kind, api_client, user, token):
    response = api_client.post(VALIDATE_URL, {"token": token}, format="json")
    if token:
        assert response.status_code == 404
        assert response.json() == {"detail": str(INVALID_TOKEN_ERROR)}
    else:
        assert response.status_code == 400
        assert "token" in response.json()


def test_expired_token_is_rejected_and_deleted(store_kind, api_client, user, signals, clock):
    request_token(api_client, "alice@example.com")
    key = signals.keys[0]
    clock.shift(timedelta(hours=24, seconds=1))
    assert api_client.post(VALIDATE_URL, {"token": key}, format="json").status_code == 404
    # Deleted when presented: moving back in time does not bring it back.
    clock.shift(-timedelta(hours=24, seconds=2))
    assert api_client.post(VALIDATE_URL, {"token": key}, format="json").status_code == 404


def test_token_still_valid_just_before_expiry(store_kind, api_client, user, signals, clock):
    request_token(api_client, "alice@example.com")
    clock.shift(timedelta(hours=23, minutes=59))
    response = api_client.post(VALIDATE_URL, {"token": signals.keys[0]}, format="json")
    assert response.status_code == 200


def test_expiry_setting_is_read_at_call_time(store_kind, api_client, user, signals, settings):
    request_token(api_client, "alice@example.com")
    settings.DJANGO_REST_MULTITOKENAUTH_RESET_TOKEN_EXPIRY_TIME = 1
    with pytest.MonkeyPatch.context() as mp:
        later = timezone.now() + timedelta(hours=2)
        mp.setattr("django.utils.timezone.now", lambda: later)
        response = api_client.post(VALIDATE_URL, {"token": signals.keys[0]}, format="json")
    assert response.status_code == 404


def test_expired_token_cannot_confirm(store_kind, api_client, user, signals, clock):
    request_token(api_client, "alice@example.com")
    clock.shift(timedelta(days=2))
    response = api_client.post(
        CONFIRM_URL, {"token": signals.keys[0], "password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 404
    assert signals.pre == [] and signals.post == []
    assert reload(user).check_password("old-Passw0rd!")


def test_weak_password_is_a_400_and_keeps_the_token(store_kind, api_client, user, signals):
    request_token(api_client, "alice@example.com")
    key = signals.keys[0]
    response = api_client.post(CONFIRM_URL, {"token": key, "password": "123"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"password"}
    assert response.json()["password"]
    assert signals.pre == [] and signals.post == []
    assert reload(user).check_password("old-Passw0rd!")
    response = api_client.post(CONFIRM_URL, {"token": key, "password": NEW_PASSWORD}, format="json")
    assert response.status_code == 200


def test_password_similar_to_user_attributes_is_rejected(store_kind, api_client, user, signals):
    request_token(api_client, "alice@example.com")
    response = api_client.post(
        CONFIRM_URL, {"token": signals.keys[0], "password": "alice@example.com"}, format="json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "flags", [{"is_active": False}, {"unusable": True}], ids=["inactive", "unusable-password"]
)
def test_token_of_ineligible_user_is_404_and_kept(store_kind, api_client, user, signals, flags):
    request_token(api_client, "alice@example.com")
    key = signals.keys[0]
    if flags.get("is_active") is False:
        user.is_active = False
    else:
        user.set_unusable_password()
    user.save()
    for url, body in (
        (VALIDATE_URL, {"token": key}),
        (CONFIRM_URL, {"token": key, "password": NEW_PASSWORD}),
    ):
        assert api_client.post(url, body, format="json").status_code == 404
    assert signals.pre == []
    if flags.get("is_active") is False:
        user.is_active = True
        user.save()
        assert api_client.post(VALIDATE_URL, {"token": key}, format="json").status_code == 200


def test_user_details_on_validation(store_kind, api_client, user, signals, settings):
    request_token(api_client, "alice@example.com")
    settings.DJANGO_REST_PASSWORDRESET_USER_DETAILS_ON_VALIDATION = True
    response = api_client.post(VALIDATE_URL, {"token": signals.keys[0]}, format="json")
    assert response.json() == {"status": "OK", "username": "alice", "email": "alice@example.com"}


@pytest.mark.parametrize("url", [REQUEST_URL, VALIDATE_URL, CONFIRM_URL])
def test_missing_fields_are_a_400(store_kind, api_client, url):
    response = api_client.post(url, {}, format="json")
    assert response.status_code == 400
    assert response.json()


@pytest.mark.parametrize("url", [REQUEST_URL, VALIDATE_URL, CONFIRM_URL])
def test_get_is_not_allowed(api_client, url):
    assert api_client.get(url, HTTP_ACCEPT="application/json").status_code == 405


def test_authenticated_user_is_not_required_nor_used(
    store_kind, api_client, user, make_user, signals
):
    other = make_user(email="other@example.com")
    api_client.force_authenticate(other)
    request_token(api_client, "alice@example.com")
    assert [t.user for t in signals.tokens] == [user]


def test_each_request_clears_a_small_batch_of_the_oldest_expired_tokens(
    api_client, user, make_user, clock
) -> None:
    """The documented clearing on the request path, bounded so that its cost stays flat."""
    from resetkit.backends.orm import ORMTokenStore
    from resetkit.models import ResetPasswordToken

    store = ORMTokenStore()
    owner = make_user(email="owner@example.com")
    for n in range(40):
        store.create_token(owner, f"expired-{n:02d}")
        clock.shift(timedelta(seconds=1))
    clock.shift(timedelta(hours=25))
    remaining = ResetPasswordToken.objects.order_by("created_at")
    newest_fifteen = list(remaining.values_list("pk", flat=True))[25:]

    api_client.post(REQUEST_URL, {"email": "nobody@example.com"}, format="json")
    assert list(remaining.values_list("pk", flat=True)) == newest_fifteen
    api_client.post(REQUEST_URL, {"email": "nobody@example.com"}, format="json")
    assert not remaining.exists()
