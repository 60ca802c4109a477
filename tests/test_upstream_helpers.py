"""django-rest-passwordreset's module-level helpers, under the same names, on resetkit's path.

``models.get_password_reset_token_expiry_time``, ``models.get_password_reset_lookup_field``,
``models.clear_expired``, ``models.eligible_for_reset``, ``views.clear_expired_tokens``,
``views.generate_token_for_email``, lookups by raw key, and upstream's expiry of ``-1``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from resetkit.backends import get_token_store
from resetkit.models import (
    ResetPasswordToken,
    clear_expired,
    eligible_for_reset,
    get_password_reset_lookup_field,
    get_password_reset_token_expiry_time,
)
from resetkit.views import clear_expired_tokens, generate_token_for_email
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

VALIDATE_URL = "/api/password_reset/validate_token/"


def test_expiry_time_and_lookup_field_read_the_settings_now() -> None:
    assert get_password_reset_token_expiry_time() == 24
    assert get_password_reset_lookup_field() == "email"
    with override_settings(
        DJANGO_REST_MULTITOKENAUTH_RESET_TOKEN_EXPIRY_TIME=2, DJANGO_REST_LOOKUP_FIELD="username"
    ):
        assert get_password_reset_token_expiry_time() == 2
        assert get_password_reset_lookup_field() == "username"


def test_eligible_for_reset_is_the_endpoints_rule(make_user: Any) -> None:
    assert eligible_for_reset(make_user())
    assert not eligible_for_reset(make_user(is_active=False))
    no_password = make_user(password=None)
    assert not eligible_for_reset(no_password)
    with override_settings(DJANGO_REST_MULTITOKENAUTH_REQUIRE_USABLE_PASSWORD=False):
        assert eligible_for_reset(no_password)


# -- generate_token_for_email ------------------------------------------------------------------


def test_generate_token_for_email_issues_and_delivers_a_usable_token(
    user: Any, signals: Any, api_client: Any
) -> None:
    token = generate_token_for_email(
        email="ALICE@example.com", user_agent="cron", ip_address="10.0.0.1, 10.0.0.2"
    )
    assert token is not None and token.user == user and token.key
    assert signals.keys == [token.key]  # delivered, as the endpoint delivers
    assert (token.ip_address, token.user_agent) == ("10.0.0.1", "cron")
    assert ResetPasswordToken.objects.count() == 1
    answer = api_client.post(VALIDATE_URL, {"token": token.key}, format="json")
    assert answer.status_code == 200


def test_generate_token_for_email_without_delivery(user: Any, signals: Any) -> None:
    token = generate_token_for_email("alice@example.com", deliver=False)
    assert token is not None and token.key
    assert signals.created == []


def test_generate_token_for_email_unknown_or_ineligible_gives_none(
    make_user: Any, signals: Any
) -> None:
    make_user(email="off@example.com", is_active=False)
    assert generate_token_for_email("nobody@example.com") is None
    assert generate_token_for_email("off@example.com") is None
    assert signals.created == [] and ResetPasswordToken.objects.count() == 0


def test_generate_token_for_email_legacy_400_when_leakage_allowed() -> None:
    with (
        override_settings(DJANGO_REST_PASSWORDRESET_NO_INFORMATION_LEAKAGE=False),
        pytest.raises(ValidationError) as caught,
    ):
        generate_token_for_email("nobody@example.com")
    assert "email" in caught.value.detail  # type: ignore[operator]


def test_generate_token_for_email_keeps_the_account_budget(user: Any, signals: Any) -> None:
    with resetkit_overrides(ACCOUNT_TOKEN_RATE="1/hour"):
        assert generate_token_for_email("alice@example.com") is not None
        assert generate_token_for_email("alice@example.com") is None
    assert len(signals.created) == 1


def test_generate_token_for_email_on_the_cache_store(user: Any, api_client: Any) -> None:
    with resetkit_overrides(TOKEN_STORE="resetkit.backends.cache.CacheTokenStore"):
        token = generate_token_for_email("alice@example.com")
        assert token is not None
        answer = api_client.post(VALIDATE_URL, {"token": token.key}, format="json")
    assert answer.status_code == 200
    assert ResetPasswordToken.objects.count() == 0


# -- clearing ------------------------------------------------------------------------------------


def age(token: Any, hours: float) -> None:
    ResetPasswordToken.objects.filter(pk=token.pk).update(
        created_at=timezone.now() - timedelta(hours=hours)
    )


def test_clear_expired_tokens_removes_only_expired(make_user: Any) -> None:
    old = generate_token_for_email(make_user().email)
    fresh = generate_token_for_email(make_user().email)
    age(old, 25)
    assert clear_expired_tokens() == 1
    assert list(ResetPasswordToken.objects.values_list("pk", flat=True)) == [fresh.pk]  # type: ignore[union-attr]


def test_clear_expired_removes_tokens_created_at_or_before_the_time(make_user: Any) -> None:
    older = generate_token_for_email(make_user().email)
    newer = generate_token_for_email(make_user().email)
    age(older, 3)
    age(newer, 1)
    cutoff = ResetPasswordToken.objects.get(pk=older.pk).created_at  # type: ignore[union-attr]
    assert clear_expired(cutoff) == 1
    assert list(ResetPasswordToken.objects.values_list("pk", flat=True)) == [newer.pk]  # type: ignore[union-attr]


# -- finding a row by its raw key ------------------------------------------------------------------


def test_rows_are_found_by_raw_key_never_read_back(make_user: Any) -> None:
    first = generate_token_for_email(make_user().email)
    second = generate_token_for_email(make_user().email)
    assert first is not None and second is not None
    rows = ResetPasswordToken.objects
    assert rows.get(key=first.key).pk == first.pk
    assert rows.filter(key__exact=second.key).get().pk == second.pk
    assert set(rows.filter(key__in=[first.key, second.key]).values_list("pk", flat=True)) == {
        first.pk,
        second.pk,
    }
    assert list(rows.exclude(key=first.key).values_list("pk", flat=True)) == [second.pk]
    assert not rows.filter(key="not-a-token").exists()
    assert not rows.filter(key=None).exists()
    assert rows.get(pk=first.pk).key is None  # only the digest is stored


def test_rows_are_found_by_a_key_issued_under_a_fallback_secret(user: Any, settings: Any) -> None:
    token = generate_token_for_email(user.email)
    assert token is not None
    old_secret = settings.SECRET_KEY
    settings.SECRET_KEY_FALLBACKS = [old_secret]
    settings.SECRET_KEY = "a-new-secret-key-that-is-long-enough-to-be-accepted"
    assert ResetPasswordToken.objects.filter(key=token.key).count() == 1


# -- upstream's expiry of -1: tokens born expired --------------------------------------------------


@pytest.mark.parametrize("hours", [-1, 0])
def test_non_positive_expiry_issues_tokens_born_expired(
    user: Any, signals: Any, api_client: Any, store_kind: str, hours: int
) -> None:
    with override_settings(DJANGO_REST_MULTITOKENAUTH_RESET_TOKEN_EXPIRY_TIME=hours):
        response = api_client.post("/api/password_reset/", {"email": user.email}, format="json")
        assert response.status_code == 200
        assert len(signals.keys) == 1  # issued and delivered, not lost in a log line
        answer = api_client.post(VALIDATE_URL, {"token": signals.keys[0]}, format="json")
    assert answer.status_code == 404
    assert get_token_store().get_token(signals.keys[0]) is None
    assert ResetPasswordToken.objects.count() == 0  # the expired token presented was deleted
