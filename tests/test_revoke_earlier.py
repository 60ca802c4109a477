"""``REVOKE_EARLIER_TOKENS``: a new token voids the user's earlier ones, on both stores.

Off by default, as django-rest-passwordreset behaves: every token works until it expires or is
used. On, only the newest link works, also when requests for one user arrive together.
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient, APIRequestFactory

from resetkit.flows import PasswordResetFlow
from resetkit.views import ResetPasswordRequestToken
from tests.concurrency import run_together
from tests.conftest import resetkit_overrides

REQUEST_URL = "/api/password_reset/"
VALIDATE_URL = "/api/password_reset/validate_token/"


@pytest.fixture(autouse=True)
def _unthrottled() -> Any:
    with resetkit_overrides(VALIDATE_THROTTLE_CLASSES=[], CONFIRM_THROTTLE_CLASSES=[]):
        yield


def request_token(client: Any, email: str) -> int:
    response = client.post(REQUEST_URL, {"email": email}, format="json")
    assert response.status_code == 200, response.content
    return int(response.status_code)


def live(client: Any, key: str) -> bool:
    response = client.post(VALIDATE_URL, {"token": key}, format="json")
    assert response.status_code in (200, 404), response.content
    return bool(response.status_code == 200)


@pytest.mark.django_db
def test_by_default_earlier_tokens_stay_valid(store_kind, api_client, user, signals) -> None:
    request_token(api_client, user.email)
    request_token(api_client, user.email)
    first, second = signals.keys
    assert live(api_client, first)
    assert live(api_client, second)


@pytest.mark.django_db
def test_on_only_the_newest_token_is_valid(store_kind, api_client, user, signals) -> None:
    with resetkit_overrides(REVOKE_EARLIER_TOKENS=True):
        for _ in range(3):
            request_token(api_client, user.email)
        first, second, third = signals.keys
        assert not live(api_client, first)
        assert not live(api_client, second)
        assert live(api_client, third)
        # and the newest one resets the password
        response = api_client.post(
            "/api/password_reset/confirm/",
            {"token": third, "password": "a-much-better-one-42"},
            format="json",
        )
        assert response.status_code == 200


@pytest.mark.django_db
def test_other_users_tokens_are_kept(store_kind, api_client, make_user, signals) -> None:
    alice, bob = make_user(), make_user()
    with resetkit_overrides(REVOKE_EARLIER_TOKENS=True):
        request_token(api_client, alice.email)
        request_token(api_client, bob.email)
        alice_key, bob_key = signals.keys
        assert live(api_client, alice_key)
        assert live(api_client, bob_key)


class RevokingFlow(PasswordResetFlow):
    revoke_earlier_tokens = True


class KeepingFlow(PasswordResetFlow):
    def revokes_earlier_tokens(self) -> bool:
        return False


@pytest.mark.django_db
def test_a_flow_decides(store_kind, api_client, user, signals) -> None:
    with resetkit_overrides(FLOW_CLASS=RevokingFlow):
        request_token(api_client, user.email)
        request_token(api_client, user.email)
        first, second = signals.keys
        assert (live(api_client, first), live(api_client, second)) == (False, True)
    with resetkit_overrides(FLOW_CLASS=KeepingFlow, REVOKE_EARLIER_TOKENS=True):
        request_token(api_client, user.email)
        third = signals.keys[-1]
        assert live(api_client, second)
        assert live(api_client, third)


class RevokingRequest(ResetPasswordRequestToken):
    revoke_earlier_tokens = True


@pytest.mark.django_db
def test_a_view_decides(store_kind, api_client, user, signals) -> None:
    view = RevokingRequest.as_view()
    for _ in range(2):
        response = view(APIRequestFactory().post("/", {"email": user.email}, format="json"))
        assert response.status_code == 200
    first, second = signals.keys
    assert (live(api_client, first), live(api_client, second)) == (False, True)


@pytest.mark.django_db(transaction=True)
def test_simultaneous_requests_leave_only_the_newest(store_kind, user, signals) -> None:
    """Three requests for one user at once (the account budget allows three): every one is
    answered 200, three tokens are issued, and all but the newest are dead."""
    with resetkit_overrides(REVOKE_EARLIER_TOKENS=True):
        statuses = run_together(3, lambda n: request_token(APIClient(), user.email))
        assert statuses == [200, 200, 200]
        tokens = sorted(signals.tokens, key=lambda token: token.created_at)
        assert len(tokens) == 3
        client = APIClient()
        assert [live(client, token.key) for token in tokens] == [False, False, True]
