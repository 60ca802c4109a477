"""After a reset, other credentials made with the old password can be ended too."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db
PASSWORD = "brand-new-Passw0rd"


def reset(client: Any, signals: Any, email: str = "alice@example.com") -> Any:
    client.post("/api/password_reset/", {"email": email}, format="json")
    key = signals.keys[-1]
    return client.post(
        "/api/password_reset/confirm/", {"token": key, "password": PASSWORD}, format="json"
    )


def test_drf_auth_tokens_are_deleted(api_client, user, make_user, signals) -> None:
    other = make_user()
    Token.objects.create(user=user)
    Token.objects.create(user=other)
    with resetkit_overrides(POST_RESET_REVOKERS=["resetkit.revokers.authtoken.revoke_auth_tokens"]):
        assert reset(api_client, signals).status_code == 200
    assert list(Token.objects.values_list("user", flat=True)) == [other.pk]


def test_simplejwt_refresh_tokens_are_blacklisted(api_client, user, make_user, signals) -> None:
    other = make_user()
    mine = RefreshToken.for_user(user)
    theirs = RefreshToken.for_user(other)
    revoker = "resetkit.revokers.simplejwt.blacklist_refresh_tokens"
    with resetkit_overrides(POST_RESET_REVOKERS=[revoker]):
        assert reset(api_client, signals).status_code == 200
    blacklisted = set(BlacklistedToken.objects.values_list("token__jti", flat=True))
    assert blacklisted == {mine["jti"]}
    assert OutstandingToken.objects.filter(jti=theirs["jti"]).exists()
    response = api_client.post("/jwt/refresh/", {"refresh": str(mine)}, format="json")
    assert response.status_code == 401


def test_project_callables_run_with_the_user(api_client, user, signals) -> None:
    seen: list[Any] = []
    with resetkit_overrides(POST_RESET_REVOKERS=[seen.append]):
        reset(api_client, signals)
    assert seen == [user]
    # The row read under the reset's lock, the one the signals get too.
    assert seen[0] is signals.pre[0]["user"] is signals.post[0]["user"]


def test_a_failing_revoker_undoes_the_reset(api_client, user, signals) -> None:
    def refuse(user: Any) -> None:
        raise RuntimeError("session store unreachable")

    api_client.raise_request_exception = True
    with resetkit_overrides(POST_RESET_REVOKERS=[refuse]), pytest.raises(RuntimeError):
        reset(api_client, signals)
    user.refresh_from_db()
    assert user.check_password("old-Passw0rd!")
    # Revokers run before pre_password_reset: no receiver hears of a reset that did not happen.
    assert signals.pre == [] and signals.post == []
    # The token survived: it resets the password once the revoker works again.
    response = api_client.post(
        "/api/password_reset/confirm/",
        {"token": signals.keys[-1], "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 200


def test_revokers_do_not_run_for_a_rejected_confirm(api_client, user, signals) -> None:
    seen: list[Any] = []
    api_client.post("/api/password_reset/", {"email": "alice@example.com"}, format="json")
    with resetkit_overrides(POST_RESET_REVOKERS=[seen.append]):
        api_client.post(
            "/api/password_reset/confirm/",
            {"token": signals.keys[0], "password": "123"},
            format="json",
        )
    assert seen == []


def test_a_bad_revoker_is_reported_by_a_check() -> None:
    from resetkit.checks import check_settings

    with resetkit_overrides(POST_RESET_REVOKERS=["resetkit.revokers.nothing.here"]):
        assert "resetkit.E011" in [m.id for m in check_settings()]
