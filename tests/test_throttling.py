"""Throttling, exactly as the upstream README's "Throttling" section describes it.

The suite's settings turn the request-token throttle off (``THROTTLE_CLASSES = []`` with no
global throttle); validate and confirm keep their own (30 and 10 an hour per client). Each test
here sets the configuration it is about. Throttle counts live in the default cache, which
``conftest`` empties between tests. Simultaneous requests: ``test_throttle_concurrency.py``;
client keys (IPv6, proxies, DRF's own throttles): ``test_client_keys.py``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from rest_framework.test import APIClient
from rest_framework.throttling import (
    AnonRateThrottle,
    ScopedRateThrottle,
    SimpleRateThrottle,
    UserRateThrottle,
)

from resetkit.throttling import (
    REQUEST_TOKEN_SCOPE,
    RESET_CONFIRM_SCOPE,
    VALIDATE_TOKEN_SCOPE,
    ResetPasswordConfirmThrottle,
    ResetPasswordRequestTokenThrottle,
    ResetPasswordValidateTokenThrottle,
    get_endpoint_throttle_classes,
    get_password_reset_request_token_throttle_classes,
    instantiate_throttles,
)
from tests.conftest import resetkit_overrides

# Nothing but the test suite's inline executor: these tests read every other key's default.
INLINE_ONLY = {"ISSUE_EXECUTOR": "resetkit.executors.InlineExecutor"}

pytestmark = pytest.mark.django_db

REQUEST_URL = "/api/password_reset/"
VALIDATE_URL = "/api/password_reset/validate_token/"
CONFIRM_URL = "/api/password_reset/confirm/"
BODIES = {
    REQUEST_URL: {"email": "nobody@example.com"},
    VALIDATE_URL: {"token": "not-a-token"},
    CONFIRM_URL: {"token": "not-a-token", "password": "a-new-Passw0rd-for-tests"},
}
# What each endpoint answers when it is not throttled (no account, no token: 200 / 404 / 404).
OPEN = {REQUEST_URL: 200, VALIDATE_URL: 404, CONFIRM_URL: 404}
ENDPOINT_SETTING = {
    REQUEST_URL: "THROTTLE_CLASSES",
    VALIDATE_URL: "VALIDATE_THROTTLE_CLASSES",
    CONFIRM_URL: "CONFIRM_THROTTLE_CLASSES",
}


def view_of(url: str) -> Any:
    from resetkit import views

    return {
        REQUEST_URL: views.ResetPasswordRequestToken,
        VALIDATE_URL: views.ResetPasswordValidateToken,
        CONFIRM_URL: views.ResetPasswordConfirm,
    }[url]


def hit(client: Any, url: str, times: int = 1, **extra: Any) -> list[int]:
    return [client.post(url, BODIES[url], format="json", **extra).status_code for _ in range(times)]


def rest_framework(classes: list[str] | None = None, **rates: str) -> override_settings:
    """``REST_FRAMEWORK`` with these global throttle classes and rates (scopes may have dashes)."""
    return override_settings(
        REST_FRAMEWORK={"DEFAULT_THROTTLE_CLASSES": classes or [], "DEFAULT_THROTTLE_RATES": rates}
    )


def request_rate(rate: str) -> override_settings:
    return rest_framework(**{REQUEST_TOKEN_SCOPE: rate})


@pytest.fixture
def default_throttle() -> Any:
    """The setting unset (``None``), as in a project that never mentions it."""
    with resetkit_overrides(THROTTLE_CLASSES=None):
        yield


# -- the default: 3/day per IP address --------------------------------------------------------


def test_default_is_three_a_day_per_address(default_throttle, api_client, clock) -> None:
    assert hit(api_client, REQUEST_URL, 4) == [200, 200, 200, 429]
    response = api_client.post(REQUEST_URL, BODIES[REQUEST_URL], format="json")
    assert response.status_code == 429
    assert "throttled" in response.json()["detail"]
    # A day, and at most one slice of the sliding window (a sixtieth of it) more.
    retry_after = int(response["Retry-After"])
    assert 86_400 <= retry_after <= 86_400 + 1_440 + 1
    clock.shift(timedelta(hours=23))
    assert hit(api_client, REQUEST_URL) == [429]
    clock.shift(timedelta(seconds=retry_after - 23 * 3600 + 1))
    assert hit(api_client, REQUEST_URL, 4) == [200, 200, 200, 429]


def test_default_counts_every_request_whatever_the_answer(
    default_throttle, api_client, user
) -> None:
    """Known account, unknown account, malformed address: one budget (no oracle either)."""
    for email in ("alice@example.com", "nobody@example.com", "not-an-email"):
        api_client.post(REQUEST_URL, {"email": email}, format="json")
    response = api_client.post(REQUEST_URL, {"email": "alice@example.com"}, format="json")
    assert response.status_code == 429


def test_default_is_the_resetkit_throttle_class(default_throttle) -> None:
    assert get_password_reset_request_token_throttle_classes() == (
        ResetPasswordRequestTokenThrottle,
    )
    assert ResetPasswordRequestTokenThrottle.scope == "django-rest-passwordreset-request-token"


def test_default_keys_on_remote_addr_not_on_x_forwarded_for(default_throttle, api_client) -> None:
    """A client-sent X-Forwarded-For must not buy a fresh budget per request."""
    codes = [
        api_client.post(
            REQUEST_URL,
            BODIES[REQUEST_URL],
            format="json",
            REMOTE_ADDR="10.0.0.1",
            HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
        ).status_code
        for i in range(10)
    ]
    assert codes == [200] * 3 + [429] * 7


def test_num_proxies_makes_the_forwarded_client_the_key(default_throttle, api_client) -> None:
    """Behind one trusted proxy (DRF's NUM_PROXIES), the address it forwards is the client."""
    with override_settings(REST_FRAMEWORK={"NUM_PROXIES": 1}):
        spread = [
            api_client.post(
                REQUEST_URL,
                BODIES[REQUEST_URL],
                format="json",
                REMOTE_ADDR="10.0.0.1",
                HTTP_X_FORWARDED_FOR=f"198.51.100.{i}",
            ).status_code
            for i in range(10)
        ]
        same = hit(
            api_client, REQUEST_URL, 4, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4"
        )
    assert spread == [200] * 10
    assert same == [200, 200, 200, 429]


def test_the_budget_is_per_client_address(default_throttle, api_client) -> None:
    assert hit(api_client, REQUEST_URL, 4, REMOTE_ADDR="10.0.0.1") == [200, 200, 200, 429]
    assert hit(api_client, REQUEST_URL, 1, REMOTE_ADDR="10.0.0.2") == [200]
    assert hit(api_client, REQUEST_URL, 1, REMOTE_ADDR="10.0.0.1") == [429]
    assert hit(api_client, REQUEST_URL, 3, REMOTE_ADDR="2001:db8::1") == [200, 200, 200]


def test_default_throttle_does_not_touch_validate_or_confirm(default_throttle, api_client) -> None:
    """It is the request endpoint's throttle; the others have their own."""
    hit(api_client, REQUEST_URL, 4)
    assert hit(api_client, VALIDATE_URL, 5) == [404] * 5
    assert hit(api_client, CONFIRM_URL, 5) == [404] * 5


def test_global_throttles_do_not_stack_on_the_request_endpoint(
    default_throttle, api_client
) -> None:
    """README: with the setting unset, DEFAULT_THROTTLE_CLASSES do not add to 3/day."""
    with rest_framework(["rest_framework.throttling.AnonRateThrottle"], anon="1/day"):
        assert hit(api_client, REQUEST_URL, 4) == [200, 200, 200, 429]
        assert hit(api_client, VALIDATE_URL, 2) == [404, 429]


# -- the rate, through REST_FRAMEWORK --------------------------------------------------------


def test_rate_is_customisable_by_scope(default_throttle, api_client, clock) -> None:
    """README: REST_FRAMEWORK = {"DEFAULT_THROTTLE_RATES": {"...-request-token": "5/hour"}}."""
    with override_settings(
        REST_FRAMEWORK={"DEFAULT_THROTTLE_RATES": {REQUEST_TOKEN_SCOPE: "5/hour"}}
    ):
        assert hit(api_client, REQUEST_URL, 6) == [200] * 5 + [429]
        clock.shift(timedelta(hours=1, minutes=1, seconds=1))  # an hour and one slice
        assert hit(api_client, REQUEST_URL, 6) == [200] * 5 + [429]


def test_rates_changed_after_import_are_honoured(default_throttle, api_client) -> None:
    """Each request reads the rate anew; DRF's own throttles would keep the import-time one."""
    with request_rate("1/day"):
        assert hit(api_client, REQUEST_URL, 2) == [200, 429]
    with request_rate("3/day"):
        # The one request already made counts against the new, larger budget.
        assert hit(api_client, REQUEST_URL, 3) == [200, 200, 429]
    with request_rate("10/day"):
        assert hit(api_client, REQUEST_URL, 8) == [200] * 7 + [429]


# -- replacing the classes ------------------------------------------------------------------------


def test_throttle_classes_can_be_replaced(api_client) -> None:
    """README: DJANGO_REST_PASSWORDRESET_THROTTLE_CLASSES = ["...AnonRateThrottle"]."""
    with (
        override_settings(
            RESETKIT=INLINE_ONLY,
            DJANGO_REST_PASSWORDRESET_THROTTLE_CLASSES=[
                "rest_framework.throttling.AnonRateThrottle"
            ],
        ),
        rest_framework(anon="5/day"),
    ):
        # Five, not the replaced 3/day.
        assert hit(api_client, REQUEST_URL, 6) == [200] * 5 + [429]


def test_replacement_takes_effect_under_the_resetkit_key_too(api_client) -> None:
    with (
        resetkit_overrides(THROTTLE_CLASSES=[AnonRateThrottle]),
        rest_framework(anon="2/minute"),
    ):
        assert hit(api_client, REQUEST_URL, 3) == [200, 200, 429]


def test_upstream_throttle_path_maps_to_resetkit(api_client) -> None:
    """A settings file naming django-rest-passwordreset's throttle class keeps working."""
    with override_settings(
        RESETKIT=INLINE_ONLY,
        DJANGO_REST_PASSWORDRESET_THROTTLE_CLASSES=[
            "django_rest_passwordreset.throttling.ResetPasswordRequestTokenThrottle"
        ],
    ):
        assert get_password_reset_request_token_throttle_classes() == (
            ResetPasswordRequestTokenThrottle,
        )
        assert hit(api_client, REQUEST_URL, 4) == [200, 200, 200, 429]


def test_bad_throttle_path_names_the_setting(api_client) -> None:
    with (
        override_settings(
            RESETKIT=INLINE_ONLY, DJANGO_REST_PASSWORDRESET_THROTTLE_CLASSES=["no.such.Throttle"]
        ),
        pytest.raises(ImproperlyConfigured, match="DJANGO_REST_PASSWORDRESET_THROTTLE_CLASSES"),
    ):
        hit(api_client, REQUEST_URL)


def test_rate_throttles_get_the_current_rates_even_if_bound_empty_at_import(monkeypatch) -> None:
    """DRF copies DEFAULT_THROTTLE_RATES into SimpleRateThrottle when first imported.

    Simulate an import that happened before the "anon" rate existed: resetkit must still build
    the throttle with today's rates instead of raising "No default throttle rate set".
    """
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {})
    with rest_framework(anon="7/hour"):
        (throttle,) = instantiate_throttles([AnonRateThrottle])
    assert isinstance(throttle, AnonRateThrottle)
    assert (throttle.num_requests, throttle.duration) == (7, 3600)


# -- [] delegates to DRF's DEFAULT_THROTTLE_CLASSES ----------------------------------------------

README_SCOPED = {
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.ScopedRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "django-rest-passwordreset-request-token": "5/hour",
        "django-rest-passwordreset-validate-token": "60/minute",
        "django-rest-passwordreset-confirm": "10/hour",
    },
}


def test_readme_scoped_example_limits_each_endpoint_by_its_own_scope(api_client) -> None:
    """The README's example verbatim: [] plus a global ScopedRateThrottle with three rates."""
    with override_settings(
        RESETKIT=INLINE_ONLY,
        DJANGO_REST_PASSWORDRESET_THROTTLE_CLASSES=[],
        REST_FRAMEWORK=README_SCOPED,
    ):
        assert hit(api_client, REQUEST_URL, 6) == [200] * 5 + [429]
        # The request scope is spent; the other two have their own budgets.
        assert hit(api_client, VALIDATE_URL, 61) == [404] * 60 + [429]
        assert hit(api_client, CONFIRM_URL, 11) == [404] * 10 + [429]
        assert hit(api_client, REQUEST_URL) == [429]


def test_scoped_rates_are_per_client_address(api_client) -> None:
    with resetkit_overrides(THROTTLE_CLASSES=[]), override_settings(REST_FRAMEWORK=README_SCOPED):
        assert hit(api_client, CONFIRM_URL, 11, REMOTE_ADDR="10.0.0.1")[-1] == 429
        assert hit(api_client, CONFIRM_URL, 1, REMOTE_ADDR="10.0.0.2") == [404]


def test_empty_list_delegates_to_a_global_anon_throttle(api_client) -> None:
    with (
        resetkit_overrides(THROTTLE_CLASSES=[]),
        rest_framework(["rest_framework.throttling.AnonRateThrottle"], anon="2/day"),
    ):
        assert hit(api_client, REQUEST_URL, 3) == [200, 200, 429]


def test_empty_list_without_a_global_throttle_is_unthrottled(api_client) -> None:
    """README: "otherwise you remove the built-in 3/day request-token protection"."""
    with resetkit_overrides(THROTTLE_CLASSES=[]), rest_framework():
        assert hit(api_client, REQUEST_URL, 10) == [200] * 10


@pytest.mark.parametrize(
    "missing", [REQUEST_TOKEN_SCOPE, VALIDATE_TOKEN_SCOPE, RESET_CONFIRM_SCOPE]
)
def test_scoped_throttle_without_a_rate_is_a_500(missing: str) -> None:
    """README: omitting a scope's rate makes that endpoint raise ImproperlyConfigured."""
    rates = {k: v for k, v in README_SCOPED["DEFAULT_THROTTLE_RATES"].items() if k != missing}
    url = {
        REQUEST_TOKEN_SCOPE: REQUEST_URL,
        VALIDATE_TOKEN_SCOPE: VALIDATE_URL,
        RESET_CONFIRM_SCOPE: CONFIRM_URL,
    }[missing]
    client = APIClient(raise_request_exception=False)
    with (
        resetkit_overrides(THROTTLE_CLASSES=[]),
        rest_framework(["rest_framework.throttling.ScopedRateThrottle"], **rates),
    ):
        for other, status in OPEN.items():
            assert hit(client, other) == [500 if other == url else status]
    with (
        resetkit_overrides(THROTTLE_CLASSES=[]),
        rest_framework(["rest_framework.throttling.ScopedRateThrottle"], **rates),
        pytest.raises(ImproperlyConfigured, match=missing),
    ):
        hit(APIClient(), url)


# -- validate and confirm: their own throttle plus DEFAULT_THROTTLE_CLASSES -------------------


@pytest.mark.parametrize("url", [VALIDATE_URL, CONFIRM_URL])
def test_validate_and_confirm_respect_default_throttle_classes(api_client, url: str) -> None:
    with rest_framework(["rest_framework.throttling.AnonRateThrottle"], anon="2/minute"):
        assert hit(api_client, url, 3) == [OPEN[url], OPEN[url], 429]


@pytest.mark.parametrize("url", [VALIDATE_URL, CONFIRM_URL])
def test_validate_and_confirm_use_their_scope_with_scoped_throttle(api_client, url: str) -> None:
    scope = VALIDATE_TOKEN_SCOPE if url == VALIDATE_URL else RESET_CONFIRM_SCOPE
    with rest_framework(["rest_framework.throttling.ScopedRateThrottle"], **{scope: "2/hour"}):
        assert hit(api_client, url, 3) == [OPEN[url], OPEN[url], 429]


@pytest.mark.parametrize(("url", "limit"), [(VALIDATE_URL, 30), (CONFIRM_URL, 10)])
def test_validate_and_confirm_are_throttled_by_default(api_client, url: str, limit: int) -> None:
    """Unset: resetkit's own per-client throttle (30/hour, 10/hour), even with no global one."""
    with rest_framework():
        codes = hit(api_client, url, limit + 2)
    assert codes == [OPEN[url]] * limit + [429, 429]
    assert hit(api_client, url, 1, REMOTE_ADDR="10.0.0.2") == [OPEN[url]]


@pytest.mark.parametrize("url", [VALIDATE_URL, CONFIRM_URL])
def test_their_default_rates_follow_the_scopes(api_client, url: str, clock) -> None:
    scope = VALIDATE_TOKEN_SCOPE if url == VALIDATE_URL else RESET_CONFIRM_SCOPE
    with rest_framework(**{scope: "2/minute"}):
        assert hit(api_client, url, 3) == [OPEN[url], OPEN[url], 429]
        response = api_client.post(url, BODIES[url], format="json")
        assert 60 <= int(response["Retry-After"]) <= 62
        clock.shift(timedelta(seconds=int(response["Retry-After"]) + 1))
        assert hit(api_client, url, 1) == [OPEN[url]]


@pytest.mark.parametrize("url", [VALIDATE_URL, CONFIRM_URL])
def test_empty_list_on_validate_and_confirm_means_drf_defaults(api_client, url: str) -> None:
    """``[]`` means the same in all three settings: DRF's DEFAULT_THROTTLE_CLASSES."""
    with resetkit_overrides(**{ENDPOINT_SETTING[url]: []}):
        with rest_framework(["rest_framework.throttling.AnonRateThrottle"], anon="2/minute"):
            assert hit(api_client, url, 3) == [OPEN[url], OPEN[url], 429]
        with rest_framework():
            assert hit(api_client, url, 40, REMOTE_ADDR="10.0.0.3") == [OPEN[url]] * 40


@pytest.mark.parametrize("url", [VALIDATE_URL, CONFIRM_URL])
def test_a_list_on_validate_and_confirm_is_exactly_those(api_client, url: str) -> None:
    with (
        resetkit_overrides(**{ENDPOINT_SETTING[url]: [f"{__name__}.OwnRatesThrottle"]}),
        rest_framework(["rest_framework.throttling.AnonRateThrottle"], anon="1/minute"),
    ):
        assert hit(api_client, url, 2) == [OPEN[url], 429]
        view = view_of(url)()
        assert [type(t) for t in view.get_throttles()] == [OwnRatesThrottle]


def test_the_classes_each_setting_gives() -> None:
    scoped = ["rest_framework.throttling.ScopedRateThrottle"]
    with rest_framework(scoped):
        assert get_endpoint_throttle_classes("VALIDATE_THROTTLE_CLASSES") == (
            ResetPasswordValidateTokenThrottle,
            ScopedRateThrottle,
        )
        assert get_endpoint_throttle_classes("CONFIRM_THROTTLE_CLASSES") == (
            ResetPasswordConfirmThrottle,
            ScopedRateThrottle,
        )
        with resetkit_overrides(VALIDATE_THROTTLE_CLASSES=[], CONFIRM_THROTTLE_CLASSES=[]):
            assert get_endpoint_throttle_classes("VALIDATE_THROTTLE_CLASSES") == (
                ScopedRateThrottle,
            )
            assert get_endpoint_throttle_classes("CONFIRM_THROTTLE_CLASSES") == (
                ScopedRateThrottle,
            )
        assert get_password_reset_request_token_throttle_classes() == (ScopedRateThrottle,)
    # The own throttle is not added twice when DRF's defaults already name it.
    with rest_framework(["resetkit.throttling.ResetPasswordValidateTokenThrottle"]):
        assert get_endpoint_throttle_classes("VALIDATE_THROTTLE_CLASSES") == (
            ResetPasswordValidateTokenThrottle,
        )


def test_scoped_throttle_class_is_used_with_the_views_scope() -> None:
    """The scopes are the upstream names, so existing DEFAULT_THROTTLE_RATES keep applying."""
    from resetkit.views import (
        ResetPasswordConfirm,
        ResetPasswordRequestToken,
        ResetPasswordValidateToken,
    )

    assert ResetPasswordRequestToken.throttle_scope == "django-rest-passwordreset-request-token"
    assert ResetPasswordValidateToken.throttle_scope == "django-rest-passwordreset-validate-token"
    assert ResetPasswordConfirm.throttle_scope == "django-rest-passwordreset-confirm"
    with rest_framework(["rest_framework.throttling.ScopedRateThrottle"]):
        throttles = ResetPasswordValidateToken().get_throttles()
        assert [type(t) for t in throttles] == [
            ResetPasswordValidateTokenThrottle,
            ScopedRateThrottle,
        ]
        with resetkit_overrides(VALIDATE_THROTTLE_CLASSES=[]):
            throttles = ResetPasswordValidateToken().get_throttles()
    assert [type(t) for t in throttles] == [ScopedRateThrottle]


# -- resetkit's throttle classes ----------------------------------------------------------------


def test_the_request_throttle_is_a_drf_user_rate_throttle() -> None:
    """As upstream's is: projects may check isinstance against DRF's class."""
    (throttle,) = instantiate_throttles([ResetPasswordRequestTokenThrottle])
    assert isinstance(throttle, UserRateThrottle)
    assert isinstance(throttle, SimpleRateThrottle)
    assert (throttle.num_requests, throttle.duration) == (3, 86400)
    for cls in (ResetPasswordValidateTokenThrottle, ResetPasswordConfirmThrottle):
        assert issubclass(cls, SimpleRateThrottle)
        assert cls.window == "sliding"


class FixedValidateThrottle(ResetPasswordValidateTokenThrottle):
    window = "fixed"


def test_a_fixed_window_counts_per_clock_period(api_client, clock) -> None:
    """``window = "fixed"``: the budget comes back at the top of the period."""
    import datetime as dt

    clock.move_to(dt.datetime(2030, 1, 1, 10, 59, 30, tzinfo=dt.timezone.utc), tick=False)
    with (
        resetkit_overrides(VALIDATE_THROTTLE_CLASSES=[f"{__name__}.FixedValidateThrottle"]),
        rest_framework(**{VALIDATE_TOKEN_SCOPE: "2/hour"}),
    ):
        assert hit(api_client, VALIDATE_URL, 3) == [404, 404, 429]
        response = api_client.post(VALIDATE_URL, BODIES[VALIDATE_URL], format="json")
        assert response["Retry-After"] == "30"
        clock.shift(timedelta(seconds=31))
        assert hit(api_client, VALIDATE_URL, 3) == [404, 404, 429]
        # The sliding window would have refused: four in a minute, for "2/hour".


def test_refused_requests_do_not_push_the_limit_further(default_throttle, api_client) -> None:
    """A client hammering a closed limit gets the same Retry-After, not a later one."""
    with request_rate("1/minute"):
        hit(api_client, REQUEST_URL, 1)
        waits = [
            int(api_client.post(REQUEST_URL, BODIES[REQUEST_URL], format="json")["Retry-After"])
            for _ in range(20)
        ]
    assert max(waits) <= 61
    assert waits == sorted(waits, reverse=True)


# -- a throttle class's own rates win, as under DRF ----------------------------------------------


class OwnRatesThrottle(SimpleRateThrottle):
    """A project's throttle that carries its own rates (no DEFAULT_THROTTLE_RATES entry)."""

    scope = "project-own-scope"
    THROTTLE_RATES = {"project-own-scope": "1/minute"}

    def get_cache_key(self, request: Any, view: Any) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class OwnRateThrottle(AnonRateThrottle):
    """A project's throttle with a fixed ``rate``."""

    rate = "1/minute"


class OwnRequestTokenThrottle(ResetPasswordRequestTokenThrottle):
    """resetkit's request throttle, subclassed with rates of its own."""

    THROTTLE_RATES = {REQUEST_TOKEN_SCOPE: "1/minute"}


@pytest.mark.parametrize("url", [REQUEST_URL, VALIDATE_URL, CONFIRM_URL])
@pytest.mark.parametrize("throttle", [OwnRatesThrottle, OwnRateThrottle], ids=lambda c: c.__name__)
def test_a_throttles_own_rates_are_honoured_on_every_endpoint(
    api_client: Any, url: str, throttle: type
) -> None:
    """Upstream answers 200 then 429 for such a class; global rates say nothing of its scope."""
    path = f"{__name__}.{throttle.__name__}"
    with (
        override_settings(RESETKIT={**INLINE_ONLY, ENDPOINT_SETTING[url]: [path]}),
        rest_framework(),
    ):
        assert hit(api_client, url, 2) == [OPEN[url], 429]


def test_a_throttles_own_rates_are_honoured_through_drfs_default_classes(api_client: Any) -> None:
    with override_settings(RESETKIT=INLINE_ONLY), rest_framework([f"{__name__}.OwnRatesThrottle"]):
        for url in (VALIDATE_URL, CONFIRM_URL):
            address = f"10.0.0.{len(url)}"
            assert hit(api_client, url, 1, REMOTE_ADDR=address) == [OPEN[url]]
            assert hit(api_client, url, 1, REMOTE_ADDR=address) == [429]


def test_a_subclass_of_the_request_throttle_keeps_its_own_rates(api_client: Any) -> None:
    with (
        override_settings(
            RESETKIT={**INLINE_ONLY, "THROTTLE_CLASSES": [f"{__name__}.OwnRequestTokenThrottle"]}
        ),
        request_rate("100/minute"),
    ):
        assert hit(api_client, REQUEST_URL, 2) == [200, 429]


def test_own_rates_are_kept_by_instantiate_throttles() -> None:
    with rest_framework(**{"project-own-scope": "50/hour"}):
        (own,) = instantiate_throttles([OwnRatesThrottle])
    assert (own.num_requests, own.duration) == (1, 60)


def test_inherited_rates_are_still_read_now(api_client: Any) -> None:
    """A class without rates of its own still gets DEFAULT_THROTTLE_RATES as they are now."""
    with override_settings(RESETKIT={**INLINE_ONLY, "THROTTLE_CLASSES": None}):
        with request_rate("1/minute"):
            assert hit(api_client, REQUEST_URL, 2) == [200, 429]
        with request_rate("5/minute"):
            assert hit(api_client, REQUEST_URL, 1, REMOTE_ADDR="10.9.9.9") == [200]


@pytest.mark.parametrize("url", [VALIDATE_URL, CONFIRM_URL])
def test_patching_apiview_throttle_classes_reaches_validate_and_confirm(
    api_client: Any, url: str, monkeypatch: Any
) -> None:
    """Tests that patch ``APIView.throttle_classes`` (as upstream's users do) are honoured."""
    from rest_framework.views import APIView

    monkeypatch.setattr(APIView, "throttle_classes", [OwnRatesThrottle])
    with rest_framework(["rest_framework.throttling.AnonRateThrottle"], anon="100/minute"):
        assert hit(api_client, url, 2) == [OPEN[url], 429]
