"""Short codes on the stock endpoints: bound to their account, counted per account, and (with
``CODE_ONLY_LOOKUP``) under one budget of wrong codes for all clients; plus the per-client
throttles of validate and confirm."""

from __future__ import annotations

import pytest

from resetkit.checks import check_settings
from resetkit.mixins import INVALID_TOKEN_ERROR
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

VALIDATE = "/api/password_reset/validate_token/"
CONFIRM = "/api/password_reset/confirm/"
GENERIC_404 = {"detail": str(INVALID_TOKEN_ERROR)}
UNTHROTTLED = {"VALIDATE_THROTTLE_CLASSES": [], "CONFIRM_THROTTLE_CLASSES": []}

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
            {"token": str(100000 + n), "email": "alice@example.com", **body_extra},
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
    with resetkit_overrides(TOKEN_GENERATOR=SIX_DIGITS, **UNTHROTTLED):
        assert "resetkit.W005" in [m.id for m in check_settings()]
    with resetkit_overrides(TOKEN_GENERATOR=SIX_DIGITS, **THROTTLED):
        assert "resetkit.W005" not in [m.id for m in check_settings()]
    assert "resetkit.W005" not in [m.id for m in check_settings()]


# -- bound to the account ------------------------------------------------------------------------


@pytest.fixture
def codes(api_client, user, signals, store_kind):
    """Six-digit codes on the stock endpoints, without per-client throttles; on every store."""
    with resetkit_overrides(TOKEN_GENERATOR=SIX_DIGITS, **UNTHROTTLED):

        def issue(email: str = "alice@example.com") -> str:
            api_client.post("/api/password_reset/", {"email": email}, format="json")
            return str(signals.keys[-1])

        yield issue


def check(client, url: str, code: str, email: str | None = "alice@example.com"):
    body = {"token": code, "password": "brand-new-Passw0rd"}
    if email is not None:
        body["email"] = email
    return client.post(url, body, format="json")


def wrong(code: str, count: int) -> list[str]:
    return [c for c in (str(100000 + n) for n in range(count + 1)) if c != code][:count]


@pytest.mark.parametrize("url", [VALIDATE, CONFIRM])
def test_short_code_without_email_is_a_400_naming_the_field(api_client, codes, url) -> None:
    response = check(api_client, url, codes(), email=None)
    assert response.status_code == 400
    assert set(response.json()) == {"email"}


@pytest.mark.parametrize("url", [VALIDATE, CONFIRM])
def test_short_code_works_only_with_its_accounts_email(api_client, codes, make_user, url) -> None:
    make_user(email="bob@example.com")
    code = codes()
    for email in ("bob@example.com", "nobody@example.com"):
        answer = check(api_client, url, code, email)
        assert (answer.status_code, answer.json()) == (404, GENERIC_404)
    assert check(api_client, url, code, "ALICE@example.com").status_code == 200


def test_five_wrong_codes_revoke_the_accounts_codes(api_client, codes) -> None:
    code = codes()
    for guess in wrong(code, 5):
        assert check(api_client, VALIDATE, guess).status_code == 404
    assert check(api_client, VALIDATE, code).status_code == 404
    # Counted again from zero after the revocation: a new code works.
    assert check(api_client, CONFIRM, codes()).status_code == 200


def test_unknown_and_known_addresses_answer_alike(api_client, codes) -> None:
    code = codes()
    known = [check(api_client, VALIDATE, guess) for guess in wrong(code, 7)]
    unknown = [check(api_client, VALIDATE, guess, "nobody@example.com") for guess in wrong(code, 7)]
    assert [(a.status_code, a.json()) for a in known] == [
        (a.status_code, a.json()) for a in unknown
    ]


def test_long_tokens_ignore_the_email(api_client, user, signals) -> None:
    """Upstream clients send no ``email``; one sent anyway (even another's) changes nothing."""
    with resetkit_overrides(**UNTHROTTLED):
        api_client.post("/api/password_reset/", {"email": user.email}, format="json")
        [key] = signals.keys
        assert api_client.post(VALIDATE, {"token": key}, format="json").status_code == 200
        body = {"token": key, "email": "someone-else@example.com"}
        assert api_client.post(VALIDATE, body, format="json").status_code == 200
        for n in range(8):  # no attempt budget for long tokens
            api_client.post(VALIDATE, {"token": f"wrong-{n}", "email": user.email}, format="json")
        assert api_client.post(VALIDATE, {"token": key}, format="json").status_code == 200


def test_presented_token_hook_changes_both_endpoints(api_client, user, signals) -> None:
    from resetkit.views import ResetPasswordConfirm, ResetPasswordValidateToken

    seen = []

    class Spy:
        def get_presented_token(self, validated_data):
            seen.append(type(self).__name__)
            return super().get_presented_token(validated_data)

    validate_view = type("V", (Spy, ResetPasswordValidateToken), {}).as_view()
    confirm_view = type("C", (Spy, ResetPasswordConfirm), {}).as_view()
    from rest_framework.test import APIRequestFactory

    factory = APIRequestFactory()
    with resetkit_overrides(**UNTHROTTLED):
        api_client.post("/api/password_reset/", {"email": user.email}, format="json")
        key = signals.keys[0]
        assert validate_view(factory.post("/", {"token": key}, format="json")).status_code == 200
        body = {"token": key, "password": "brand-new-Passw0rd"}
        assert confirm_view(factory.post("/", body, format="json")).status_code == 200
    assert seen == ["V", "C"]


# -- CODE_ONLY_LOOKUP ------------------------------------------------------------------------------


def test_code_only_lookup_takes_codes_alone_within_a_global_budget(api_client, codes) -> None:
    code = codes()
    with resetkit_overrides(CODE_ONLY_LOOKUP=True, CODE_ONLY_GUESS_RATE="4/hour"):
        assert check(api_client, VALIDATE, code, email=None).status_code == 200
        # Right codes spend nothing; wrong ones, from any client and for any account, do.
        for n, guess in enumerate(wrong(code, 4)):
            answer = api_client.post(
                VALIDATE, {"token": guess}, format="json", REMOTE_ADDR=f"10.1.0.{n}"
            )
            assert (answer.status_code, answer.json()) == (404, GENERIC_404)
        # The budget is spent: even the right code is not evaluated now.
        assert check(api_client, VALIDATE, code, email=None).status_code == 404
    assert check(api_client, CONFIRM, code).status_code == 200


def test_check_warns_about_code_only_lookup_with_short_codes() -> None:
    def ids() -> list[str]:
        return [m.id for m in check_settings()]

    with resetkit_overrides(TOKEN_GENERATOR=SIX_DIGITS, CODE_ONLY_LOOKUP=True):
        assert "resetkit.W016" in ids()
    with resetkit_overrides(CODE_ONLY_LOOKUP=True):  # long tokens: nothing to guess
        assert "resetkit.W016" not in ids()
    with resetkit_overrides(TOKEN_GENERATOR=SIX_DIGITS):
        assert "resetkit.W016" not in ids()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("CODE_ATTEMPT_LIMIT", 0),
        ("CODE_LENGTH", "8"),
        ("CODE_EXPIRY_MINUTES", -1),
        ("CODE_ONLY_GUESS_RATE", "100 per hour"),
    ],
)
def test_a_bad_code_setting_is_a_check_error(key: str, value: object) -> None:
    with resetkit_overrides(**{key: value}):
        errors = [m for m in check_settings() if m.id == "resetkit.E016"]
    assert len(errors) == 1 and key in errors[0].msg


def test_the_default_code_settings_pass_the_checks() -> None:
    assert not [m for m in check_settings() if m.id == "resetkit.E016"]
