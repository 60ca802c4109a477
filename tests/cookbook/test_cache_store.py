"""cache-store.md: tokens in the Django cache, for every endpoint or for some views only.

Run with ``RESETKIT_TEST_CACHE=redis`` too, so the cache is Redis.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.test import override_settings
from rest_framework.test import APIRequestFactory

from resetkit.models import ResetPasswordToken
from resetkit.views import reset_password_validate_token
from tests.conftest import resetkit_overrides
from tests.cookbook import load_recipe

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-better-one-42"


def request_token(api_client, user, signals) -> str:
    response = api_client.post("/api/password_reset/", {"email": user.email}, format="json")
    assert response.status_code == 200
    [key] = signals.keys
    return key


def validate(api_client, key: str) -> int:
    response = api_client.post("/api/password_reset/validate_token/", {"token": key}, format="json")
    return response.status_code


def confirm(api_client, key: str) -> int:
    response = api_client.post(
        "/api/password_reset/confirm/", {"token": key, "password": NEW_PASSWORD}, format="json"
    )
    return response.status_code


def test_settings_name_a_redis_cache_for_the_store() -> None:
    # The page's CACHES is for a real project; the tests below keep the run's own CACHES.
    recipe = load_recipe("cache_store_settings")
    alias = recipe.RESETKIT["TOKEN_STORE"]["OPTIONS"]["cache_alias"]
    assert recipe.CACHES[alias]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


@pytest.fixture
def globally():
    with resetkit_overrides(**load_recipe("cache_store_settings").RESETKIT):
        yield


@pytest.fixture
def per_view():
    with override_settings(ROOT_URLCONF=load_recipe("cache_store_per_view")):
        yield


@pytest.mark.parametrize("configured", ["globally", "per_view"])
def test_tokens_live_in_the_cache_only(request, configured, api_client, user, signals) -> None:
    request.getfixturevalue(configured)
    key = request_token(api_client, user, signals)

    assert not ResetPasswordToken.objects.exists()
    assert validate(api_client, key) == 200
    assert confirm(api_client, key) == 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.usefixtures("globally")
def test_global_setting_tokens_go_with_the_cache(api_client, user, signals) -> None:
    key = request_token(api_client, user, signals)

    caches["default"].clear()

    assert validate(api_client, key) == 404


@pytest.mark.usefixtures("per_view")
def test_per_view_store_is_theirs_alone(api_client, user, signals) -> None:
    key = request_token(api_client, user, signals)

    # The stock view, on the configured (database) store, does not know the token ...
    request = APIRequestFactory().post("/", {"token": key}, format="json")
    assert reset_password_validate_token(request).status_code == 404
    # ... and the recipe's views lose it with the cache.
    assert validate(api_client, key) == 200
    caches["default"].clear()
    assert validate(api_client, key) == 404
