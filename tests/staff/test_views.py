"""The staff API: who may use it, what a row shows, pages, the cache store's 501, revoking."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from rest_framework.test import APIClient

from resetkit.models import ResetPasswordToken
from tests.conftest import STORES, resetkit_overrides
from tests.staff.conftest import LIST_URL, REVOKE_URL, client_for, grant, ids, pks

pytestmark = pytest.mark.django_db

VALIDATE_URL = "/api/password_reset/validate_token/"
REQUEST_URL = "/api/password_reset/"


def assert_no_secret(response: Any, tokens: list[Any]) -> None:
    body = response.content.decode()
    for token in tokens:
        assert token.digest not in body
        if token.key:
            assert token.key not in body
    assert "digest" not in body.lower()


def basic_auth(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


# -- permissions ---------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "url"), [("get", LIST_URL), ("post", REVOKE_URL)])
def test_anonymous_is_refused(rows, alice, method, url) -> None:
    response = getattr(APIClient(), method)(url, {"user": alice.pk})
    assert response.status_code in (401, 403)
    assert ResetPasswordToken.objects.count() == 4
    assert_no_secret(response, list(rows.values()))


@pytest.mark.parametrize(("method", "url"), [("get", LIST_URL), ("post", REVOKE_URL)])
def test_non_staff_is_refused(member_client, rows, alice, method, url) -> None:
    response = getattr(member_client, method)(url, {"user": alice.pk})
    assert response.status_code == 403
    assert ResetPasswordToken.objects.count() == 4


def test_superuser_flag_alone_is_not_enough(make_user, rows) -> None:
    """``IsAdminUser`` checks ``is_staff``; an account must be staff to see reset requests."""
    client = APIClient()
    client.force_login(make_user(is_superuser=True, is_staff=False))
    assert client.get(LIST_URL).status_code == 403


def test_staff_is_allowed(staff_client, rows) -> None:
    assert staff_client.get(LIST_URL).status_code == 200


@pytest.mark.parametrize(("method", "url"), [("get", LIST_URL), ("post", REVOKE_URL)])
def test_staff_without_model_permissions_is_refused(
    make_user, store_kind, api_client, signals, rows, alice, method, url
) -> None:
    """``is_staff`` alone opens the admin's index, not the token rows: the API asks for the
    same model permissions the admin does."""
    [key] = issue(api_client, "alice@example.com", signals)
    client = client_for(make_user(is_staff=True))
    before = ResetPasswordToken.objects.count()
    response = getattr(client, method)(url, {"user": alice.pk})
    assert response.status_code == 403
    assert_no_secret(response, list(rows.values()))
    assert "results" not in response.json()
    assert ResetPasswordToken.objects.count() == before
    assert is_valid(api_client, key)


def test_view_permission_lists_but_does_not_revoke(
    make_user, store_kind, api_client, signals, alice
) -> None:
    [key] = issue(api_client, "alice@example.com", signals)
    client = client_for(grant(make_user(is_staff=True), "view"))
    assert client.get(LIST_URL).status_code == (200 if store_kind == "orm" else 501)
    assert client.post(REVOKE_URL, {"user": alice.pk}).status_code == 403
    assert is_valid(api_client, key)


def test_delete_permission_alone_revokes_but_does_not_list(
    make_user, store_kind, api_client, signals, alice
) -> None:
    [key] = issue(api_client, "alice@example.com", signals)
    client = client_for(grant(make_user(is_staff=True), "delete"))
    assert client.get(LIST_URL).status_code == 403
    assert client.post(REVOKE_URL, {"user": alice.pk}).status_code == 204
    assert not is_valid(api_client, key)


def test_view_and_delete_permissions_list_and_revoke(
    make_user, store_kind, api_client, signals, alice
) -> None:
    [key] = issue(api_client, "alice@example.com", signals)
    client = client_for(grant(make_user(is_staff=True), "view", "delete"))
    assert client.get(LIST_URL).status_code == (200 if store_kind == "orm" else 501)
    assert client.post(REVOKE_URL, {"user": alice.pk}).status_code == 204
    assert not is_valid(api_client, key)


def test_permissions_through_a_group(make_user, rows) -> None:
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="support")
    group.permissions.add(
        Permission.objects.get(
            content_type__app_label="resetkit", codename="view_resetpasswordtoken"
        )
    )
    staff = make_user(is_staff=True)
    staff.groups.add(group)
    assert client_for(staff).get(LIST_URL).status_code == 200


def test_staff_superuser_holds_every_permission(make_user, rows, alice) -> None:
    client = client_for(make_user(is_staff=True, is_superuser=True))
    assert client.get(LIST_URL).status_code == 200
    assert client.post(REVOKE_URL, {"user": alice.pk}).status_code == 204


def test_model_permissions_without_staff_are_refused(make_user, rows, alice) -> None:
    client = client_for(grant(make_user(), "view", "delete"))
    assert client.get(LIST_URL).status_code == 403
    assert client.post(REVOKE_URL, {"user": alice.pk}).status_code == 403
    assert ResetPasswordToken.objects.count() == 4


def test_staff_authenticated_by_password(make_user, rows) -> None:
    """The project's authentication classes apply (DRF's defaults include HTTP Basic)."""
    grant(make_user(username="ops", password="ops-Passw0rd!", is_staff=True), "view")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=basic_auth("ops", "ops-Passw0rd!"))
    assert client.get(LIST_URL).status_code == 200
    client.credentials(HTTP_AUTHORIZATION=basic_auth("ops", "wrong"))
    assert client.get(LIST_URL).status_code in (401, 403)


# -- rows ----------------------------------------------------------------------------------


def test_row_fields(staff_client, rows, alice) -> None:
    response = staff_client.get(LIST_URL, {"user": alice.pk})
    row = response.json()["results"][0]
    token = rows["alice_new"]
    assert row == {
        "id": token.pk,
        "user": str(alice.pk) if not isinstance(alice.pk, int) else alice.pk,
        "user_email": "Alice@example.com",
        "created_at": row["created_at"],
        "expires_at": row["expires_at"],
        "ip_address": "203.0.113.5",
        "user_agent": "New/3.0",
    }
    from django.utils.dateparse import parse_datetime

    assert parse_datetime(row["created_at"]) == token.created_at
    assert parse_datetime(row["expires_at"]) == token.expires_at
    assert_no_secret(response, list(rows.values()))


def test_no_digest_in_any_listing(staff_client, rows) -> None:
    for query in ({}, {"state": "expired"}, {"page_size": 1}, {"state": "nonsense"}):
        assert_no_secret(staff_client.get(LIST_URL, query), list(rows.values()))


def test_tokens_issued_by_the_endpoint_are_listed_without_secrets(
    staff_client, api_client, alice, signals
) -> None:
    client_meta = {"REMOTE_ADDR": "192.0.2.44", "HTTP_USER_AGENT": "Browser/9"}
    response = api_client.post(
        REQUEST_URL, {"email": "alice@example.com"}, format="json", **client_meta
    )
    assert response.status_code == 200
    [token] = signals.tokens
    listing = staff_client.get(LIST_URL)
    [row] = listing.json()["results"]
    assert (row["user_email"], row["ip_address"], row["user_agent"]) == (
        "Alice@example.com",
        "192.0.2.44",
        "Browser/9",
    )
    assert_no_secret(listing, [token])


# -- pagination ----------------------------------------------------------------------------


def test_pages(staff_client, rows) -> None:
    newest_first = pks(rows["bob_new"], rows["alice_new"], rows["bob_mid"], rows["alice_old"])
    first = staff_client.get(LIST_URL, {"page_size": 3})
    body = first.json()
    assert body["count"] == 4
    assert ids(first) == newest_first[:3]
    assert body["previous"] is None
    second = staff_client.get(body["next"])
    assert ids(second) == newest_first[3:]
    assert second.json()["next"] is None


def test_filters_apply_before_paging(staff_client, rows) -> None:
    response = staff_client.get(LIST_URL, {"state": "active", "page_size": 2, "page": 2})
    assert response.json()["count"] == 3
    assert ids(response) == pks(rows["bob_mid"])


def test_page_size_is_capped(staff_client, rows, monkeypatch) -> None:
    from resetkit.staff.views import StaffPagination

    monkeypatch.setattr(StaffPagination, "max_page_size", 3)
    response = staff_client.get(LIST_URL, {"page_size": 10**6})
    assert len(response.json()["results"]) == 3


def test_default_page_size(staff_client, rows, monkeypatch) -> None:
    from resetkit.staff.views import StaffPagination

    monkeypatch.setattr(StaffPagination, "page_size", 2)
    response = staff_client.get(LIST_URL)
    assert len(response.json()["results"]) == 2
    assert response.json()["count"] == 4


def test_page_past_the_end_is_a_404(staff_client, rows) -> None:
    assert staff_client.get(LIST_URL, {"page": 9}).status_code == 404


# -- cache store ---------------------------------------------------------------------------


def test_cache_store_cannot_list(staff_client, rows) -> None:
    with resetkit_overrides(TOKEN_STORE=STORES["cache"]):
        response = staff_client.get(LIST_URL)
    assert response.status_code == 501
    detail = response.json()["detail"]
    assert "cache" in detail and "cannot list" in detail
    assert "results" not in response.json()


def test_cache_store_501_is_for_staff_only(member_client) -> None:
    with resetkit_overrides(TOKEN_STORE=STORES["cache"]):
        assert member_client.get(LIST_URL).status_code == 403
        assert APIClient().get(LIST_URL).status_code in (401, 403)


def test_cache_store_with_options_cannot_list(staff_client) -> None:
    store = {"CLASS": STORES["cache"], "OPTIONS": {"key_prefix": "other"}}
    with resetkit_overrides(TOKEN_STORE=store):
        assert staff_client.get(LIST_URL).status_code == 501


# -- revoking ------------------------------------------------------------------------------


def issue(api_client: APIClient, email: str, signals: Any, times: int = 1) -> list[str]:
    """Request ``times`` tokens for ``email`` through the endpoint; return their keys."""
    before = len(signals.keys)
    for _ in range(times):
        response = api_client.post(REQUEST_URL, {"email": email}, format="json")
        assert response.status_code == 200
    return signals.keys[before:]


def is_valid(api_client: APIClient, key: str) -> bool:
    status = api_client.post(VALIDATE_URL, {"token": key}, format="json").status_code
    assert status in (200, 404)
    return status == 200


def test_revoke_on_every_store(store_kind, staff_client, api_client, alice, bob, signals) -> None:
    alice_keys = issue(api_client, "alice@example.com", signals, times=2)
    bob_keys = issue(api_client, "bob@example.org", signals)
    assert len(alice_keys) == 2 and len(bob_keys) == 1
    assert all(is_valid(api_client, key) for key in alice_keys + bob_keys)

    response = staff_client.post(REVOKE_URL, {"user": str(alice.pk)}, format="json")
    assert response.status_code == 204
    assert response.content == b""
    assert not any(is_valid(api_client, key) for key in alice_keys)
    assert is_valid(api_client, bob_keys[0])

    # A token issued after the revocation works as usual.
    [fresh] = issue(api_client, "alice@example.com", signals)
    assert is_valid(api_client, fresh)


def test_revoke_reaches_the_table_when_a_cache_store_is_configured(
    staff_client, api_client, alice, signals
) -> None:
    """A view may keep its tokens in the table whatever the global store; revoking a user
    means all of their tokens."""
    [orm_key] = issue(api_client, "alice@example.com", signals)
    with resetkit_overrides(TOKEN_STORE=STORES["cache"]):
        [cache_key] = issue(api_client, "alice@example.com", signals)
        assert staff_client.post(REVOKE_URL, {"user": alice.pk}).status_code == 204
        assert not is_valid(api_client, cache_key)
    assert not is_valid(api_client, orm_key)
    assert not ResetPasswordToken.objects.filter(user=alice).exists()


def test_revoke_a_user_without_tokens(store_kind, staff_client, alice) -> None:
    assert staff_client.post(REVOKE_URL, {"user": alice.pk}).status_code == 204


@pytest.mark.parametrize("body", [{}, {"user": ""}, {"user": "no-such-user"}, {"user": [1]}])
def test_revoke_needs_an_existing_user(store_kind, staff_client, rows, body) -> None:
    response = staff_client.post(REVOKE_URL, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["user"]
    assert ResetPasswordToken.objects.count() == 4


def test_revoke_refused_leaves_tokens(
    store_kind, member_client, api_client, alice, signals
) -> None:
    [key] = issue(api_client, "alice@example.com", signals)
    assert member_client.post(REVOKE_URL, {"user": alice.pk}).status_code == 403
    assert APIClient().post(REVOKE_URL, {"user": alice.pk}).status_code in (401, 403)
    assert is_valid(api_client, key)


def test_revoke_is_post_only(staff_client, alice) -> None:
    assert staff_client.get(REVOKE_URL, {"user": alice.pk}).status_code == 405
