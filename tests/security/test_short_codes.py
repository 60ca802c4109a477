"""Attempt limits on validate and confirm, for projects that mail short numeric codes."""

from __future__ import annotations

import pytest

from resetkit.checks import check_settings
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

SIX_DIGITS = {
    "CLASS": "resetkit.generators.RandomNumberTokenGenerator",
    "OPTIONS": {"min_number": 100000, "max_number": 999999},
}
THROTTLED = {
    "VALIDATE_THROTTLE_CLASSES": ["resetkit.throttling.ResetPasswordValidateTokenThrottle"],
    "CONFIRM_THROTTLE_CLASSES": ["resetkit.throttling.ResetPasswordConfirmThrottle"],
}


def guesses(client, url: str, count: int, forge: bool = True, **body_extra: str) -> list[int]:
    """``count`` wrong codes from one address; ``forge`` varies X-Forwarded-For each time."""
    forged = [{"HTTP_X_FORWARDED_FOR": f"10.0.{n // 250}.{n % 250}"} for n in range(count)]
    return [
        client.post(
            url,
            {"token": str(100000 + n), **body_extra},
            format="json",
            REMOTE_ADDR="203.0.113.9",
            **(forged[n] if forge else {}),
        ).status_code
        for n in range(count)
    ]


def test_validate_throttle_stops_guessing_after_30_an_hour(api_client, user) -> None:
    with resetkit_overrides(TOKEN_GENERATOR=SIX_DIGITS, **THROTTLED):
        codes = guesses(api_client, "/api/password_reset/validate_token/", 32)
    assert codes[:30] == [404] * 30
    assert codes[30:] == [429, 429]


def test_confirm_throttle_stops_guessing_after_10_an_hour(api_client, user) -> None:
    with resetkit_overrides(TOKEN_GENERATOR=SIX_DIGITS, **THROTTLED):
        codes = guesses(
            api_client, "/api/password_reset/confirm/", 12, password="brand-new-Passw0rd"
        )
    assert codes[:10] == [404] * 10
    assert codes[10:] == [429, 429]


def test_rates_follow_the_scopes(api_client, user, settings) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"django-rest-passwordreset-validate-token": "2/minute"},
    }
    with resetkit_overrides(**THROTTLED):
        codes = guesses(api_client, "/api/password_reset/validate_token/", 3)
    assert codes == [404, 404, 429]


def test_unset_follows_drf_defaults(api_client, user, settings) -> None:
    settings.REST_FRAMEWORK = {
        "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"],
        "DEFAULT_THROTTLE_RATES": {"anon": "1/minute"},
    }
    # DRF's own AnonRateThrottle trusts X-Forwarded-For unless NUM_PROXIES is set: no forging.
    codes = guesses(api_client, "/api/password_reset/validate_token/", 2, forge=False)
    assert codes == [404, 429]


def test_check_warns_about_unthrottled_numeric_codes() -> None:
    with resetkit_overrides(TOKEN_GENERATOR=SIX_DIGITS):
        assert "resetkit.W005" in [m.id for m in check_settings()]
    with resetkit_overrides(TOKEN_GENERATOR=SIX_DIGITS, **THROTTLED):
        assert "resetkit.W005" not in [m.id for m in check_settings()]
    assert "resetkit.W005" not in [m.id for m in check_settings()]
