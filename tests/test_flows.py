"""One flow ties the three steps together: a shared hook overridden once changes every endpoint.

Overridden on a :class:`~resetkit.flows.PasswordResetFlow` subclass and chosen once (the
``FLOW_CLASS`` setting, the URL helper, a view's ``flow_class``), a hook reaches the request,
validate and confirm endpoints and the three actions of ``PasswordResetViewSet``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import include, path, reverse
from rest_framework.routers import SimpleRouter
from rest_framework.test import APIRequestFactory

from resetkit.backends.cache import CacheTokenStore
from resetkit.backends.orm import ORMTokenStore
from resetkit.codes.flows import CodeResetFlow
from resetkit.codes.views import ResetPasswordCodeViewSet
from resetkit.flows import PasswordResetFlow
from resetkit.models import ResetPasswordToken
from resetkit.throttling import (
    REQUEST_TOKEN_SCOPE,
    RESET_CONFIRM_SCOPE,
    VALIDATE_TOKEN_SCOPE,
    ResetPasswordConfirmThrottle,
    ResetPasswordValidateTokenThrottle,
)
from resetkit.urls import add_password_reset_viewset_to_router, get_urlpatterns
from resetkit.views import (
    PasswordResetViewSet,
    ResetPasswordConfirm,
    ResetPasswordRequestToken,
    ResetPasswordValidateToken,
)
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-much-better-one-42"


class NoStaffFlow(PasswordResetFlow):
    """One shared hook, overridden once: staff accounts may not reset here."""

    def is_user_eligible(self, user: Any) -> bool:
        return not user.is_staff and super().is_user_eligible(user)


class CachedFlow(PasswordResetFlow):
    """One store for the three steps, set once."""

    token_store_class = CacheTokenStore


class StaffCodeViewSet(ResetPasswordCodeViewSet):
    flow_class = "tests.test_flows.NoStaffCodeFlow"


class NoStaffCodeFlow(CodeResetFlow):
    def is_user_eligible(self, user: Any) -> bool:
        return not user.is_staff and super().is_user_eligible(user)


router = SimpleRouter()
add_password_reset_viewset_to_router(router, base_path="viewset")
add_password_reset_viewset_to_router(
    router, base_path="code-viewset", basename="no-staff-code", viewset=StaffCodeViewSet
)

urlpatterns = [
    path("stock/", include("resetkit.urls")),
    path("helper/", include((get_urlpatterns(flow_class=NoStaffFlow), "helper"))),
    path("", include(router.urls)),
]

# The three endpoints of each way in: request, validate, confirm.
STOCK = ("/stock/", "/stock/validate_token/", "/stock/confirm/")
HELPER = ("/helper/", "/helper/validate_token/", "/helper/confirm/")
VIEWSET = ("/viewset/", "/viewset/validate_token/", "/viewset/confirm/")


@pytest.fixture(autouse=True)
def urls() -> Any:
    with override_settings(ROOT_URLCONF=__name__):
        yield


def steps(client: Any, endpoints: tuple[str, str, str], email: str, key: str) -> list[int]:
    """Request a token for ``email``, validate ``key``, confirm ``key``: the three statuses."""
    request, validate, confirm = endpoints
    return [
        client.post(request, {"email": email}, format="json").status_code,
        client.post(validate, {"token": key}, format="json").status_code,
        client.post(confirm, {"token": key, "password": NEW_PASSWORD}, format="json").status_code,
    ]


def issue(client: Any, signals: Any, email: str) -> str:
    """A token issued by the stock endpoints (default flow)."""
    before = len(signals.keys)
    client.post(STOCK[0], {"email": email}, format="json")
    assert len(signals.keys) == before + 1
    return str(signals.keys[-1])


# -- one hook, once, every endpoint ------------------------------------------------------------


@pytest.mark.parametrize("endpoints", [STOCK, VIEWSET], ids=["views", "viewset"])
def test_the_setting_changes_all_three_endpoints(api_client, make_user, signals, endpoints) -> None:
    staff = make_user(email="staff@example.com", is_staff=True)
    key = issue(api_client, signals, staff.email)

    with resetkit_overrides(FLOW_CLASS=f"{__name__}.NoStaffFlow"):
        issued_before = len(signals.keys)
        assert steps(api_client, endpoints, staff.email, key) == [200, 404, 404]
        assert len(signals.keys) == issued_before  # the request step issued nothing

    # The default flow again: the token was kept, and resets.
    assert steps(api_client, endpoints, staff.email, key)[1:] == [200, 200]


def test_the_url_helper_changes_all_three_endpoints(api_client, make_user, signals) -> None:
    staff = make_user(email="staff@example.com", is_staff=True)
    key = issue(api_client, signals, staff.email)

    assert steps(api_client, HELPER, staff.email, key) == [200, 404, 404]
    assert len(signals.keys) == 1
    assert reverse("helper:reset-password-request") == "/helper/"
    assert reverse("helper:reset-password-confirm") == "/helper/confirm/"


def test_the_url_helper_leaves_other_accounts_alone(api_client, user, signals) -> None:
    assert client_resets(api_client, HELPER, user.email, signals)


def client_resets(client: Any, endpoints: tuple[str, str, str], email: str, signals: Any) -> bool:
    client.post(endpoints[0], {"email": email}, format="json")
    key = signals.keys[-1]
    return steps(client, endpoints, email, key)[1:] == [200, 200]


def test_flow_class_per_view(api_client, make_user, signals) -> None:
    staff = make_user(email="staff@example.com", is_staff=True)
    key = issue(api_client, signals, staff.email)
    factory = APIRequestFactory()
    validate = ResetPasswordValidateToken.as_view(flow_class=NoStaffFlow)
    dotted = ResetPasswordValidateToken.as_view(flow_class=f"{__name__}.NoStaffFlow")

    for view in (validate, dotted):
        assert view(factory.post("/", {"token": key}, format="json")).status_code == 404
    assert api_client.post(STOCK[1], {"token": key}, format="json").status_code == 200


def test_one_store_set_once_serves_the_three_steps(api_client, user, signals) -> None:
    with resetkit_overrides(FLOW_CLASS=CachedFlow):
        api_client.post(STOCK[0], {"email": user.email}, format="json")
        key = signals.keys[0]
        assert CacheTokenStore().get_token(key) is not None
        assert ResetPasswordToken.objects.count() == 0
        assert steps(api_client, VIEWSET, "nobody@example.com", key)[1:] == [200, 200]
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


def test_the_code_flow_subclass_changes_its_viewset(api_client, make_user, mailoutbox) -> None:
    from resetkit.contrib import email as contrib_email

    staff = make_user(email="staff@example.com", is_staff=True)
    contrib_email.connect(links=False)
    try:
        response = api_client.post("/code-viewset/", {"email": staff.email}, format="json")
    finally:
        contrib_email.disconnect()
    assert response.status_code == 200
    assert mailoutbox == []
    body = {"email": staff.email, "code": "12345678"}
    assert api_client.post("/code-viewset/validate/", body, format="json").status_code == 404


# -- the flow's own options ---------------------------------------------------------------------


def test_store_kwargs_apply_to_the_configured_class(user, signals, settings) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "tokens": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"},
    }
    view = ResetPasswordRequestToken.as_view(token_store_kwargs={"cache_alias": "tokens"})
    store = {"CLASS": "resetkit.backends.cache.CacheTokenStore"}
    with resetkit_overrides(TOKEN_STORE=store):
        view(APIRequestFactory().post("/", {"email": user.email}, format="json"))
    assert CacheTokenStore(cache_alias="tokens").get_token(signals.keys[0]) is not None
    assert CacheTokenStore().get_token(signals.keys[0]) is None


def test_store_kwargs_on_the_default_store_are_passed_to_it(user) -> None:
    view = ResetPasswordRequestToken(token_store_kwargs={"no_such_option": 1})
    with pytest.raises(ImproperlyConfigured, match="no_such_option"):
        view.get_flow().get_token_store()
    assert isinstance(ResetPasswordRequestToken().get_flow().get_token_store(), ORMTokenStore)


def test_a_bad_flow_class_is_named() -> None:
    with (
        resetkit_overrides(FLOW_CLASS="builtins.dict"),
        pytest.raises(ImproperlyConfigured, match=r"RESETKIT\['FLOW_CLASS'\]"),
    ):
        ResetPasswordConfirm().get_flow()
    with pytest.raises(ImproperlyConfigured, match=r"ResetPasswordConfirm\.flow_class"):
        ResetPasswordConfirm(flow_class="no.such.Flow").get_flow()


def test_the_flow_is_built_once_per_request_with_its_view() -> None:
    view = ResetPasswordValidateToken(
        token_generator_class="resetkit.generators.RandomNumberTokenGenerator"
    )
    flow = view.get_flow()
    assert flow is view.get_flow()
    assert flow.view is view
    assert flow.token_generator_class == "resetkit.generators.RandomNumberTokenGenerator"
    assert ResetPasswordValidateToken().get_flow() is not flow


# -- hooks that are called --------------------------------------------------------------------


def test_handle_no_eligible_account_is_called_on_the_default_path(make_user) -> None:
    seen: list[Any] = []

    class Noticing(ResetPasswordRequestToken):
        def handle_no_eligible_account(self, validated_data: Any) -> None:
            seen.append(dict(validated_data))
            super().handle_no_eligible_account(validated_data)

    make_user(email="inactive@example.com", is_active=False)
    view = Noticing.as_view()
    factory = APIRequestFactory()
    for email in ("nobody@example.com", "inactive@example.com"):
        response = view(factory.post("/", {"email": email}, format="json"))
        assert (response.status_code, response.data) == (200, {"status": "OK"})
    assert seen == [{"email": "nobody@example.com"}, {"email": "inactive@example.com"}]


def test_a_hook_overridden_on_a_view_still_reaches_the_flow_for_that_view(
    api_client, make_user, signals
) -> None:
    """Before flows, shared hooks were overridden on a view: that keeps working, for the view."""
    staff = make_user(email="staff@example.com", is_staff=True)

    class NoStaffRequest(ResetPasswordRequestToken):
        def is_user_eligible(self, user: Any) -> bool:
            return not user.is_staff and super().is_user_eligible(user)

    view = NoStaffRequest.as_view()
    view(APIRequestFactory().post("/", {"email": staff.email}, format="json"))
    assert signals.keys == []  # the flow's get_users_for_reset asked the view's hook
    issue(api_client, signals, staff.email)  # other views keep the flow's


def test_a_removed_hook_fails_loudly() -> None:
    class Old(ResetPasswordValidateToken):
        def get_code_accounts(self, identifier: str) -> list[Any]:
            return []

    with pytest.raises(ImproperlyConfigured, match=r"get_code_accounts\(\).*get_matching_users"):
        Old().get_flow()


# -- PasswordResetViewSet: one registration, three steps -----------------------------------


def test_the_viewset_names_its_routes_after_its_basename() -> None:
    assert reverse("password-reset-list") == "/viewset/"
    assert reverse("password-reset-validate") == "/viewset/validate_token/"
    assert reverse("password-reset-confirm") == "/viewset/confirm/"


def test_the_viewset_resets_a_password(api_client, user, signals) -> None:
    assert client_resets(api_client, VIEWSET, user.email, signals)
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)


@pytest.mark.parametrize(
    ("action", "scope", "throttles"),
    [
        ("create", REQUEST_TOKEN_SCOPE, []),
        ("validate", VALIDATE_TOKEN_SCOPE, [ResetPasswordValidateTokenThrottle]),
        ("confirm", RESET_CONFIRM_SCOPE, [ResetPasswordConfirmThrottle]),
    ],
)
def test_each_action_takes_the_scope_throttles_and_serializer_of_its_step(
    action: str, scope: str, throttles: list[type]
) -> None:
    view = PasswordResetViewSet(action=action)
    assert view.throttle_scope == scope
    assert [type(t) for t in view.get_throttles()] == throttles
    assert (
        view.get_serializer_class()
        is PasswordResetViewSet.serializers_by_step[view.get_reset_step() or ""]
    )
