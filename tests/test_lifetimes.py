"""How long a token lives: ``TOKEN_LIFETIME``, a flow's or a view's ``token_lifetime``.

Each lifetime is checked on both stores (the ``store_kind`` fixture): the token the signal
carries says when it expires, it still works a minute before, and it is refused a minute after.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import override_settings
from rest_framework.test import APIRequestFactory

from resetkit.backends import configured_lifetime, get_token_store
from resetkit.checks.settings import check_settings
from resetkit.codes.flows import CodeResetFlow
from resetkit.codes.views import ResetPasswordRequestCode
from resetkit.flows import PasswordResetFlow
from resetkit.issuing import token_expires_at
from resetkit.models import ResetPasswordToken
from resetkit.signals import reset_code_created
from resetkit.views import ResetPasswordRequestToken, ResetPasswordValidateToken
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

REQUEST_URL = "/api/password_reset/"
VALIDATE_URL = "/api/password_reset/validate_token/"


@pytest.fixture(autouse=True)
def _unthrottled() -> Any:
    with resetkit_overrides(VALIDATE_THROTTLE_CLASSES=[], CONFIRM_THROTTLE_CLASSES=[]):
        yield


def request_token(api_client: Any, user: Any, signals: Any) -> Any:
    response = api_client.post(REQUEST_URL, {"email": user.email}, format="json")
    assert response.status_code == 200
    return signals.tokens[-1]


def validates(api_client: Any, key: str) -> bool:
    response = api_client.post(VALIDATE_URL, {"token": key}, format="json")
    assert response.status_code in (200, 404), response.content
    return response.status_code == 200


def assert_lives(
    lifetime: timedelta,
    token: Any,
    clock: Any,
    is_valid: Callable[[str], bool],
) -> None:
    """``token`` says it expires after ``lifetime``; it works just before, not just after."""
    assert token.expires_at - token.created_at == lifetime
    clock.shift(lifetime - timedelta(minutes=1))
    assert is_valid(token.key)
    clock.shift(timedelta(minutes=2))
    assert not is_valid(token.key)


# -- the setting --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [timedelta(minutes=10), 600, 600.0])
def test_token_lifetime_setting(store_kind, api_client, user, signals, clock, value) -> None:
    with resetkit_overrides(TOKEN_LIFETIME=value):
        token = request_token(api_client, user, signals)
        assert_lives(timedelta(minutes=10), token, clock, lambda key: validates(api_client, key))


def test_token_lifetime_beats_token_expiry_hours(store_kind, api_client, user, signals) -> None:
    with resetkit_overrides(TOKEN_LIFETIME=timedelta(minutes=30), TOKEN_EXPIRY_HOURS=5):
        token = request_token(api_client, user, signals)
    assert token.expires_at - token.created_at == timedelta(minutes=30)


def test_without_token_lifetime_the_hours_apply(store_kind, api_client, user, signals, clock):
    with resetkit_overrides(TOKEN_EXPIRY_HOURS=2):
        token = request_token(api_client, user, signals)
        assert_lives(timedelta(hours=2), token, clock, lambda key: validates(api_client, key))


def test_the_upstream_flat_name_is_still_honoured(store_kind, api_client, user, signals, clock):
    with override_settings(DJANGO_REST_MULTITOKENAUTH_RESET_TOKEN_EXPIRY_TIME=1):
        token = request_token(api_client, user, signals)
        assert_lives(timedelta(hours=1), token, clock, lambda key: validates(api_client, key))


def test_a_row_read_from_the_table_follows_the_setting(user) -> None:
    """The admin and the staff API read rows without a store: their expiry follows too."""
    with resetkit_overrides(TOKEN_LIFETIME=900):
        get_token_store().create_token(user, "ab" * 16)
        row = ResetPasswordToken.objects.get(user=user)
        assert row.expires_at == row.created_at + timedelta(minutes=15)
        assert token_expires_at(row.created_at) == row.created_at + timedelta(minutes=15)
        assert configured_lifetime() == timedelta(minutes=15)


# -- a flow ---------------------------------------------------------------------------------------


class FiveMinuteFlow(PasswordResetFlow):
    token_lifetime = timedelta(minutes=5)


class FiveMinuteInSecondsFlow(PasswordResetFlow):
    token_lifetime = 300


class HookFlow(PasswordResetFlow):
    def get_token_lifetime(self) -> timedelta | None:
        return timedelta(minutes=5)


@pytest.mark.parametrize("flow", [FiveMinuteFlow, FiveMinuteInSecondsFlow, HookFlow])
def test_a_flow_sets_its_lifetime(store_kind, api_client, user, signals, clock, flow) -> None:
    """``FLOW_CLASS`` reaches the three endpoints: the flow's lifetime beats the setting."""
    with resetkit_overrides(FLOW_CLASS=flow, TOKEN_LIFETIME=timedelta(hours=3)):
        token = request_token(api_client, user, signals)
        assert_lives(timedelta(minutes=5), token, clock, lambda key: validates(api_client, key))


# -- a view ---------------------------------------------------------------------------------------


class ShortRequest(ResetPasswordRequestToken):
    token_lifetime = timedelta(minutes=7)


class ShortValidate(ResetPasswordValidateToken):
    token_lifetime = timedelta(minutes=7)


class PlainRequest(ResetPasswordRequestToken):
    token_lifetime: Any = None


class PlainValidate(ResetPasswordValidateToken):
    token_lifetime: Any = None


def view_validates(view: Any) -> Callable[[str], bool]:
    def is_valid(key: str) -> bool:
        request = APIRequestFactory().post("/", {"token": key}, format="json")
        response = view(request)
        assert response.status_code in (200, 404)
        return bool(response.status_code == 200)

    return is_valid


def issue_with(view: Any, user: Any, signals: Any) -> Any:
    response = view(APIRequestFactory().post("/", {"email": user.email}, format="json"))
    assert response.status_code == 200
    return signals.tokens[-1]


def test_a_view_attribute_sets_the_lifetime(store_kind, user, signals, clock) -> None:
    """The view's lifetime beats the flow's and the setting's."""
    with resetkit_overrides(FLOW_CLASS=FiveMinuteFlow, TOKEN_LIFETIME=3600):
        token = issue_with(ShortRequest.as_view(), user, signals)
        assert_lives(timedelta(minutes=7), token, clock, view_validates(ShortValidate.as_view()))


@pytest.mark.parametrize("value", [timedelta(minutes=7), 420])
def test_as_view_sets_the_lifetime(store_kind, user, signals, clock, value) -> None:
    token = issue_with(PlainRequest.as_view(token_lifetime=value), user, signals)
    validate = PlainValidate.as_view(token_lifetime=value)
    assert_lives(timedelta(minutes=7), token, clock, view_validates(validate))


def test_a_view_without_a_lifetime_keeps_the_flows(store_kind, user, signals) -> None:
    with resetkit_overrides(FLOW_CLASS=FiveMinuteFlow):
        token = issue_with(PlainRequest.as_view(), user, signals)
    assert token.expires_at - token.created_at == timedelta(minutes=5)


# -- the e-mail + code flow --------------------------------------------------------------------


class HourCodes(CodeResetFlow):
    token_lifetime = timedelta(hours=1)


def issue_code(view: Any, user: Any) -> Any:
    codes: list[Any] = []

    def on_code(**kwargs: Any) -> None:
        codes.append(kwargs["reset_password_token"])

    reset_code_created.connect(on_code, dispatch_uid="test-lifetime-code")
    try:
        response = view(APIRequestFactory().post("/", {"email": user.email}, format="json"))
    finally:
        reset_code_created.disconnect(dispatch_uid="test-lifetime-code")
    assert response.status_code == 200
    [code] = codes
    return code


def test_codes_keep_code_expiry_minutes(store_kind, user) -> None:
    """``TOKEN_LIFETIME`` is the links' lifetime: codes keep their 15 minutes."""
    with resetkit_overrides(TOKEN_LIFETIME=timedelta(hours=2)):
        code = issue_code(ResetPasswordRequestCode.as_view(), user)
    assert code.expires_at - code.created_at == timedelta(minutes=15)
    with resetkit_overrides(CODE_EXPIRY_MINUTES=4):
        code = issue_code(ResetPasswordRequestCode.as_view(), user)
    assert code.expires_at - code.created_at == timedelta(minutes=4)


def test_a_code_flow_sets_its_lifetime_through_the_same_hook(store_kind, user) -> None:
    code = issue_code(ResetPasswordRequestCode.as_view(flow_class=HourCodes), user)
    assert code.expires_at - code.created_at == timedelta(hours=1)
    assert HourCodes().get_token_store().get_expiry_delta() == timedelta(hours=1)
    assert CodeResetFlow().get_token_lifetime() == timedelta(minutes=15)


# -- bad values ----------------------------------------------------------------------------------

BAD = ["10 minutes", 0, -60, timedelta(0), timedelta(minutes=-1), True, float("nan"), [600]]


@pytest.mark.parametrize("value", BAD)
def test_a_bad_setting_is_a_check_error_and_fails_at_use(value) -> None:
    with resetkit_overrides(TOKEN_LIFETIME=value):
        [error] = [m for m in check_settings() if m.id == "resetkit.E017"]
        assert "TOKEN_LIFETIME" in error.msg
        with pytest.raises(ImproperlyConfigured, match="TOKEN_LIFETIME"):
            get_token_store()
        with pytest.raises(ImproperlyConfigured, match="TOKEN_LIFETIME"):
            configured_lifetime()


def test_manage_py_check_refuses_a_bad_lifetime() -> None:
    with resetkit_overrides(TOKEN_LIFETIME="1h"), pytest.raises(SystemCheckError, match="E017"):
        call_command("check")


@pytest.mark.parametrize("value", [None, timedelta(minutes=1), 1, 0.5])
def test_good_settings_pass_the_check(value) -> None:
    with resetkit_overrides(TOKEN_LIFETIME=value):
        assert "resetkit.E017" not in {m.id for m in check_settings()}


@pytest.mark.parametrize("value", BAD)
def test_a_bad_flow_lifetime_names_the_flow(value) -> None:
    flow = type("BadFlow", (PasswordResetFlow,), {"token_lifetime": value})()
    with pytest.raises(ImproperlyConfigured, match=r"BadFlow\.token_lifetime"):
        flow.get_token_store()


def test_a_bad_view_lifetime_names_the_view(user) -> None:
    view = PlainRequest.as_view(token_lifetime="soon")
    with pytest.raises(ImproperlyConfigured, match=r"PlainRequest\.token_lifetime"):
        view(APIRequestFactory().post("/", {"email": user.email}, format="json"))


def test_as_view_takes_a_lifetime_on_the_stock_views() -> None:
    """``as_view(token_lifetime=...)`` on the ready-made views: the flow's store follows it."""
    from datetime import timedelta

    from rest_framework.test import APIRequestFactory

    from resetkit.views import ResetPasswordValidateToken

    view = ResetPasswordValidateToken.as_view(token_lifetime=timedelta(minutes=5))
    instance = view.view_class(token_lifetime=timedelta(minutes=5))
    instance.request = APIRequestFactory().post("/")
    assert instance.get_flow().get_token_store().get_expiry_delta() == timedelta(minutes=5)
    assert view.view_initkwargs == {"token_lifetime": timedelta(minutes=5)}


# -- flows of different lifetimes sharing one store ---------------------------------------------


def test_a_short_lived_flow_does_not_end_the_links_of_a_long_lived_one(
    store_kind, api_client, user, signals, clock
) -> None:
    """A link (a day) issued, then twenty minutes later a code (fifteen minutes) for the same
    account: the code request's cleanup batch (ORM store) and the user's revocation stamp
    (cache store) must leave the link working until its own day is over."""
    link = request_token(api_client, user, signals)
    clock.shift(timedelta(minutes=20))
    response = api_client.post("/api/password_reset/code/", {"email": user.email}, format="json")
    assert response.status_code == 200
    assert validates(api_client, link.key)
    clock.shift(timedelta(hours=3))  # the code and its stamp's TTL are long gone
    assert validates(api_client, link.key)
    clock.shift(timedelta(hours=21))
    assert not validates(api_client, link.key)
