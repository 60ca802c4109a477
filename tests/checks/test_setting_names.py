"""E001 and W007: misspelt ``RESETKIT`` keys and upstream-style flat names, each with a "did you
mean" and never a traceback from inside a check."""

from __future__ import annotations

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings

from resetkit.checks import check_settings
from resetkit.conf import resetkit_settings


def test_misspelt_key_gets_a_did_you_mean() -> None:
    with override_settings(RESETKIT={"TOKEN_EXPIRY": 2, "ACOUNT_TOKEN_RATE": "1/hour"}):
        found = check_settings()
    assert [m.id for m in found] == ["resetkit.E001", "resetkit.E001"]
    hints = {m.msg.split("key ")[1].split(":")[0]: m.hint for m in found}
    assert hints == {
        "'ACOUNT_TOKEN_RATE'": "Did you mean RESETKIT['ACCOUNT_TOKEN_RATE']?",
        "'TOKEN_EXPIRY'": "Did you mean RESETKIT['TOKEN_EXPIRY_HOURS']?",
    }


def test_unknown_key_without_a_close_match_lists_the_known_keys() -> None:
    with override_settings(RESETKIT={"ZZZ": 1}):
        [message] = check_settings()
    assert message.hint is not None and message.hint.startswith("Known keys: ACCOUNT_TOKEN_RATE")


@pytest.mark.django_db
def test_every_check_survives_a_misspelt_key() -> None:
    """Before: a database check read the settings and raised, and runserver's thread died."""
    with (
        override_settings(RESETKIT={"TOKEN_EXPIRY": 2}),
        pytest.raises(SystemCheckError, match=r"resetkit\.E001"),
    ):
        call_command("check", "--database", "default")


def test_runtime_error_says_did_you_mean_too() -> None:
    with (
        override_settings(RESETKIT={"TOKEN_EXPIRY": 2}),
        pytest.raises(
            ImproperlyConfigured, match=r"'TOKEN_EXPIRY' \(did you mean 'TOKEN_EXPIRY_HOURS'\?\)"
        ),
    ):
        resetkit_settings.TOKEN_EXPIRY_HOURS  # noqa: B018


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        (
            "DJANGO_REST_MULTITOKENAUTH_RESET_TOKEN_EXPIRY",
            "Did you mean DJANGO_REST_MULTITOKENAUTH_RESET_TOKEN_EXPIRY_TIME? "
            "Better: RESETKIT['TOKEN_EXPIRY_HOURS'].",
        ),
        (
            "DJANGO_REST_PASSWORDRESET_NO_INFORMATION_LEAK",
            "Did you mean DJANGO_REST_PASSWORDRESET_NO_INFORMATION_LEAKAGE? "
            "Better: RESETKIT['NO_INFORMATION_LEAKAGE'].",
        ),
        (
            "DJANGO_REST_LOOKUP_FEILD",
            "Did you mean DJANGO_REST_LOOKUP_FIELD? Better: RESETKIT['LOOKUP_FIELD'].",
        ),
    ],
)
def test_misspelt_flat_setting_warns(name: str, hint: str) -> None:
    with override_settings(**{name: 1}):
        found = [m for m in check_settings() if m.id == "resetkit.W007"]
        assert "resetkit.W007" in {m.id for m in checks.run_checks()}
    [message] = found
    assert message.msg == (
        f"{name} is not a setting django-rest-passwordreset or resetkit reads: it is ignored."
    )
    assert message.hint == hint


def test_unrelated_flat_setting_lists_the_known_names() -> None:
    with override_settings(DJANGO_REST_PASSWORDRESET_SOMETHING_ELSE_ENTIRELY=1):
        [message] = [m for m in check_settings() if m.id == "resetkit.W007"]
    assert message.hint is not None and message.hint.startswith("Known names: ")


def test_known_flat_settings_are_clean() -> None:
    with override_settings(DJANGO_REST_LOOKUP_FIELD="email", RESETKIT={}):
        assert check_settings() == []
