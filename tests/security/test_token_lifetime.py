"""Tokens die when they should: password changed elsewhere, account deactivated, collisions."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from resetkit.backends.base import DuplicateTokenError
from resetkit.views import ResetPasswordRequestToken
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db
VALIDATE = "/api/password_reset/validate_token/"
CONFIRM = "/api/password_reset/confirm/"


def issue(client: Any, signals: Any, email: str = "alice@example.com") -> str:
    client.post("/api/password_reset/", {"email": email}, format="json")
    return str(signals.keys[-1])


def test_password_changed_elsewhere_voids_the_token(store_kind, api_client, user, signals):
    key = issue(api_client, signals)
    fresh = get_user_model()._default_manager.get(pk=user.pk)
    fresh.set_password("changed-by-the-admin-1")
    fresh.save()
    assert api_client.post(VALIDATE, {"token": key}, format="json").status_code == 404
    response = api_client.post(
        CONFIRM, {"token": key, "password": "brand-new-Passw0rd"}, format="json"
    )
    assert response.status_code == 404
    fresh.refresh_from_db()
    assert fresh.check_password("changed-by-the-admin-1")


def test_token_issued_after_the_change_works(store_kind, api_client, user, signals):
    user.set_password("changed-by-the-admin-1")
    user.save()
    key = issue(api_client, signals)
    assert api_client.post(VALIDATE, {"token": key}, format="json").status_code == 200


def test_unrelated_profile_edits_keep_the_token(store_kind, api_client, user, signals):
    key = issue(api_client, signals)
    get_user_model()._default_manager.filter(pk=user.pk).update(first_name="Alicia")
    assert api_client.post(VALIDATE, {"token": key}, format="json").status_code == 200


def test_deactivated_account_token_is_refused_until_reactivated(
    store_kind, api_client, user, signals
):
    key = issue(api_client, signals)
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert api_client.post(VALIDATE, {"token": key}, format="json").status_code == 404
    user.is_active = True
    user.save(update_fields=["is_active"])
    assert api_client.post(VALIDATE, {"token": key}, format="json").status_code == 200


def test_tokens_survive_a_secret_key_rotation(store_kind, api_client, user, signals, settings):
    key = issue(api_client, signals)
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-brand-new-secret-key-for-this-deployment"
    assert api_client.post(VALIDATE, {"token": key}, format="json").status_code == 200


class Collider:
    """A generator that repeats itself, as a short numeric range eventually does."""

    keys: list[str] = []

    def __init__(self, **options: Any) -> None:
        pass

    def generate_token(self) -> str:
        return Collider.keys.pop(0)


def test_a_colliding_key_is_drawn_again(store_kind, make_user, signals):
    alice = make_user(email="alice@example.com")
    bob = make_user(email="bob@example.com")
    Collider.keys = ["111111", "111111", "111111", "222222"]
    view = ResetPasswordRequestToken.as_view(token_generator_class=Collider)
    from rest_framework.test import APIRequestFactory

    factory = APIRequestFactory()
    for email in ("alice@example.com", "bob@example.com"):
        (view(factory.post("/", {"email": email}, format="json")))
    assert [(t.user, t.key) for t in signals.tokens] == [(alice, "111111"), (bob, "222222")]


def test_a_store_refuses_an_outstanding_key(store_kind, user):
    from resetkit.backends import get_token_store

    store = get_token_store()
    store.create_token(user, "123456")
    with pytest.raises(DuplicateTokenError):
        store.create_token(user, "123456")


def test_collisions_give_up_after_a_few_attempts(store_kind, make_user, signals, caplog):
    make_user(email="alice@example.com")
    make_user(email="bob@example.com")
    Collider.keys = ["333333"] * 10
    with resetkit_overrides(ISSUE_AFTER_RESPONSE=False):
        view = ResetPasswordRequestToken.as_view(token_generator_class=Collider)
        from rest_framework.test import APIRequestFactory

        factory = APIRequestFactory()
        view(factory.post("/", {"email": "alice@example.com"}, format="json"))
        with pytest.raises(DuplicateTokenError):
            view(factory.post("/", {"email": "bob@example.com"}, format="json"))
    assert len(signals.created) == 1
