"""W005 (short codes on unthrottled validate or confirm) and the throttle settings' errors.

Validate and confirm are throttled unless a project configures that away, so W005 fires only
then: ``[]`` with no DRF default throttle, or a routed view with empty ``throttle_classes``. Short
codes come from the configured generator or from a generator set on a routed view.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings
from django.urls import path

from resetkit.checks import check_settings
from resetkit.generators import RandomNumberTokenGenerator
from resetkit.views import (
    ResetPasswordConfirm,
    ResetPasswordRequestToken,
    ResetPasswordValidateToken,
)
from tests.conftest import resetkit_overrides

SIX_DIGITS = {
    "CLASS": "resetkit.generators.RandomNumberTokenGenerator",
    "OPTIONS": {"min_number": 100000, "max_number": 999999},
}
UNTHROTTLED = {"VALIDATE_THROTTLE_CLASSES": [], "CONFIRM_THROTTLE_CLASSES": []}
NO_DRF_THROTTLES = {"DEFAULT_THROTTLE_CLASSES": [], "DEFAULT_THROTTLE_RATES": {}}


class ShortCodeRequest(ResetPasswordRequestToken):
    token_generator_class = RandomNumberTokenGenerator
    token_generator_kwargs = {"min_number": 100000, "max_number": 999999}


# A URLconf for these tests (ROOT_URLCONF=__name__): one short-code request view, the stock
# validate and confirm views, and a validate view stripped of throttles.
urlpatterns = [
    path("short/", ShortCodeRequest.as_view()),
    path(
        "short-kwargs/",
        ResetPasswordRequestToken.as_view(
            token_generator_class="resetkit.generators.RandomNumberTokenGenerator",
            token_generator_kwargs={"min_number": 0, "max_number": 9999},
        ),
    ),
    path("long/", ResetPasswordRequestToken.as_view()),
    path("validate/", ResetPasswordValidateToken.as_view()),
    path("confirm/", ResetPasswordConfirm.as_view()),
]
OPEN_VALIDATE = [path("open-validate/", ResetPasswordValidateToken.as_view(throttle_classes=[]))]
LONG_ONLY = [path("long/", ResetPasswordRequestToken.as_view())]


def w005(**resetkit: Any) -> list[Any]:
    with resetkit_overrides(**resetkit), override_settings(REST_FRAMEWORK=NO_DRF_THROTTLES):
        return [m for m in check_settings() if m.id == "resetkit.W005"]


@pytest.fixture
def long_only_urls() -> Any:
    """A URLconf whose views use the configured generator."""
    with override_settings(ROOT_URLCONF=f"{__name__}_long"):
        yield


@pytest.fixture(autouse=True)
def _urlconfs(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    for suffix, patterns in (("_long", LONG_ONLY), ("_open", OPEN_VALIDATE)):
        module = types.ModuleType(f"{__name__}{suffix}")
        module.urlpatterns = patterns  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, module.__name__, module)


def test_short_codes_are_fine_while_validate_and_confirm_keep_their_throttles(
    long_only_urls: Any,
) -> None:
    """The default now: resetkit's 30/hour and 10/hour per client, even without DRF's."""
    assert w005(TOKEN_GENERATOR=SIX_DIGITS) == []


@pytest.mark.parametrize(
    ("unset", "named"),
    [
        (UNTHROTTLED, ["validate endpoint", "confirm endpoint"]),
        ({"VALIDATE_THROTTLE_CLASSES": []}, ["validate endpoint"]),
        ({"CONFIRM_THROTTLE_CLASSES": []}, ["confirm endpoint"]),
    ],
)
def test_short_codes_on_a_configured_away_endpoint_warn(
    long_only_urls: Any, unset: dict[str, Any], named: list[str]
) -> None:
    (found,) = w005(TOKEN_GENERATOR=SIX_DIGITS, **unset)
    assert "RESETKIT['TOKEN_GENERATOR']" in found.msg
    for name in named:
        assert name in found.msg
    assert "VALIDATE_THROTTLE_CLASSES" in found.hint


def test_empty_lists_with_drf_default_throttles_are_fine(long_only_urls: Any) -> None:
    drf = {"DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle"]}
    with (
        resetkit_overrides(TOKEN_GENERATOR=SIX_DIGITS, **UNTHROTTLED),
        override_settings(REST_FRAMEWORK={**drf, "DEFAULT_THROTTLE_RATES": {"anon": "5/hour"}}),
    ):
        assert [m for m in check_settings() if m.id == "resetkit.W005"] == []


def test_long_tokens_need_no_throttle(long_only_urls: Any) -> None:
    assert w005(**UNTHROTTLED) == []


def test_any_generator_under_64_bits_counts(long_only_urls: Any) -> None:
    """Not only the numeric generator: a short string is as guessable."""
    short_hex = {
        "CLASS": "resetkit.generators.RandomStringTokenGenerator",
        "OPTIONS": {"min_length": 8, "max_length": 8},
    }
    assert [m.id for m in w005(TOKEN_GENERATOR=short_hex, **UNTHROTTLED)] == ["resetkit.W005"]


def test_a_short_generator_on_a_routed_view_warns() -> None:
    with override_settings(ROOT_URLCONF=__name__):
        (found,) = w005(**UNTHROTTLED)
        assert "the view ShortCodeRequest" in found.msg
        assert "the view ResetPasswordRequestToken" in found.msg  # via as_view() options
        assert "TOKEN_GENERATOR" not in found.msg  # the configured one makes long tokens
        assert w005() == []


def test_a_routed_view_without_throttles_warns() -> None:
    with override_settings(ROOT_URLCONF=f"{__name__}_open"):
        (found,) = w005(TOKEN_GENERATOR=SIX_DIGITS)
    assert "ResetPasswordValidateToken (throttle_classes is empty)" in found.msg


def test_a_broken_urlconf_is_not_this_checks_business() -> None:
    with override_settings(ROOT_URLCONF="tests.no_such_urlconf"):
        assert w005(TOKEN_GENERATOR=SIX_DIGITS) == []
