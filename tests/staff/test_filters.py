"""The staff list's filters: each narrows the list as documented, bad values answer 400."""

from __future__ import annotations

from datetime import timedelta

import pytest

from resetkit.backends.orm import ORMTokenStore
from tests.conftest import resetkit_overrides
from tests.staff.conftest import LIST_URL, ids, pks

pytestmark = pytest.mark.django_db


def test_unfiltered_list_is_newest_first(staff_client, rows) -> None:
    expected = pks(rows["bob_new"], rows["alice_new"], rows["bob_mid"], rows["alice_old"])
    assert ids(staff_client.get(LIST_URL)) == expected


def test_user(staff_client, rows, alice, bob) -> None:
    assert ids(staff_client.get(LIST_URL, {"user": alice.pk})) == pks(
        rows["alice_new"], rows["alice_old"]
    )
    assert ids(staff_client.get(LIST_URL, {"user": bob.pk})) == pks(
        rows["bob_new"], rows["bob_mid"]
    )


def test_user_without_tokens_lists_nothing(staff_client, rows, make_user) -> None:
    carol = make_user(email="carol@example.com")
    assert ids(staff_client.get(LIST_URL, {"user": carol.pk})) == []


def test_unknown_user_is_a_400(staff_client, rows) -> None:
    response = staff_client.get(LIST_URL, {"user": "no-such-user"})
    assert response.status_code == 400
    assert list(response.json()) == ["user"]


@pytest.mark.parametrize("query", ["alice@example.com", "ALICE@EXAMPLE.COM", "Alice@Example.com"])
def test_email_is_case_insensitive(staff_client, rows, query) -> None:
    assert ids(staff_client.get(LIST_URL, {"email": query})) == pks(
        rows["alice_new"], rows["alice_old"]
    )


@pytest.mark.parametrize(
    "query", ["alice", "example.com", "alice@example.co", "nobody@example.com"]
)
def test_email_matches_whole_addresses_only(staff_client, rows, query) -> None:
    assert ids(staff_client.get(LIST_URL, {"email": query})) == []


def test_email_follows_the_user_models_email_field(staff_client, rows, monkeypatch) -> None:
    from django.contrib.auth import get_user_model

    monkeypatch.setattr(get_user_model(), "EMAIL_FIELD", "username")
    assert ids(staff_client.get(LIST_URL, {"email": "BOB"})) == pks(
        rows["bob_new"], rows["bob_mid"]
    )


def test_ip_address(staff_client, rows) -> None:
    assert ids(staff_client.get(LIST_URL, {"ip_address": "203.0.113.5"})) == pks(
        rows["bob_new"], rows["alice_new"]
    )
    assert ids(staff_client.get(LIST_URL, {"ip_address": "198.51.100.1"})) == pks(rows["alice_old"])
    assert ids(staff_client.get(LIST_URL, {"ip_address": "192.0.2.1"})) == []


def test_ipv6_address_in_any_spelling(staff_client, rows) -> None:
    for spelling in ("2001:db8::7", "2001:DB8::7", "2001:0db8:0000:0000:0000:0000:0000:0007"):
        assert ids(staff_client.get(LIST_URL, {"ip_address": spelling})) == pks(rows["bob_mid"])


def test_malformed_ip_address_is_a_400(staff_client, rows) -> None:
    response = staff_client.get(LIST_URL, {"ip_address": "203.0.113"})
    assert response.status_code == 400
    assert list(response.json()) == ["ip_address"]


def test_created_after_and_before_are_inclusive(staff_client, rows) -> None:
    mid = rows["bob_mid"].created_at
    after = ids(staff_client.get(LIST_URL, {"created_after": mid.isoformat()}))
    assert after == pks(rows["bob_new"], rows["alice_new"], rows["bob_mid"])
    before = ids(staff_client.get(LIST_URL, {"created_before": mid.isoformat()}))
    assert before == pks(rows["bob_mid"], rows["alice_old"])


def test_created_window(staff_client, rows) -> None:
    now = rows["bob_new"].created_at
    window = {
        "created_after": (now - timedelta(hours=12)).isoformat(),
        "created_before": (now - timedelta(minutes=30)).isoformat(),
    }
    assert ids(staff_client.get(LIST_URL, window)) == pks(rows["alice_new"], rows["bob_mid"])


def test_malformed_date_is_a_400(staff_client, rows) -> None:
    response = staff_client.get(LIST_URL, {"created_after": "yesterday"})
    assert response.status_code == 400
    assert list(response.json()) == ["created_after"]


def test_state(staff_client, rows) -> None:
    active = pks(rows["bob_new"], rows["alice_new"], rows["bob_mid"])
    assert ids(staff_client.get(LIST_URL, {"state": "active"})) == active
    assert ids(staff_client.get(LIST_URL, {"state": "expired"})) == pks(rows["alice_old"])


def test_state_follows_the_current_expiry_setting(staff_client, rows) -> None:
    with resetkit_overrides(TOKEN_EXPIRY_HOURS=48):
        assert ids(staff_client.get(LIST_URL, {"state": "expired"})) == []
    with resetkit_overrides(TOKEN_EXPIRY_HOURS=5):
        assert ids(staff_client.get(LIST_URL, {"state": "expired"})) == pks(
            rows["bob_mid"], rows["alice_old"]
        )


def test_state_agrees_with_the_store(staff_client, rows, clock) -> None:
    """At the exact moment of expiry a token is still accepted, so it is still listed active."""
    token = rows["bob_mid"]
    store = ORMTokenStore()
    clock.move_to(store.expires_at(token.created_at), tick=False)
    assert not store.is_expired(token.created_at)
    assert token.pk in ids(staff_client.get(LIST_URL, {"state": "active"}))
    clock.move_to(store.expires_at(token.created_at) + timedelta(microseconds=1), tick=False)
    assert store.is_expired(token.created_at)
    assert token.pk in ids(staff_client.get(LIST_URL, {"state": "expired"}))


def test_unknown_state_is_a_400(staff_client, rows) -> None:
    response = staff_client.get(LIST_URL, {"state": "revoked"})
    assert response.status_code == 400
    assert list(response.json()) == ["state"]


def test_filters_combine(staff_client, rows, alice) -> None:
    query = {"user": alice.pk, "state": "active", "ip_address": "203.0.113.5"}
    assert ids(staff_client.get(LIST_URL, query)) == pks(rows["alice_new"])
