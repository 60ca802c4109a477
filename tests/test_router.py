"""Routers, ViewSets and the browsable API, as the upstream README's last section shows them.

``tests/urls.py`` mounts ``add_reset_password_urls_to_router(router,
base_path="api/auth/passwordreset")`` under ``router/``. This module's own ``urlpatterns``
register the ViewSets by hand, exactly as the README does, for the tests marked with it.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import include, path, reverse
from rest_framework.routers import DefaultRouter
from rest_framework.test import APIRequestFactory

from resetkit import urls as resetkit_urls
from resetkit import views
from resetkit.backends.cache import CacheTokenStore
from resetkit.models import ResetPasswordToken
from resetkit.views import (
    ResetPasswordConfirmViewSet,
    ResetPasswordRequestTokenViewSet,
    ResetPasswordValidateTokenViewSet,
)

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-new-Passw0rd-for-tests"

# -- the README's manual registration, verbatim ------------------------------------------------

router = DefaultRouter()
router.register(
    r"api/auth/passwordreset/validate_token",
    ResetPasswordValidateTokenViewSet,
    basename="reset-password-validate",
)
router.register(
    r"api/auth/passwordreset/confirm",
    ResetPasswordConfirmViewSet,
    basename="reset-password-confirm",
)
router.register(
    r"api/auth/passwordreset/",
    ResetPasswordRequestTokenViewSet,
    basename="reset-password-request",
)

urlpatterns = [path("", include(router.urls))]
README_ROUTES = pytest.mark.urls("tests.test_router")


def routes() -> dict[str, str]:
    return {
        step: reverse(f"reset-password-{step}-list") for step in ("request", "validate", "confirm")
    }


def full_reset(client: Any, urls: dict[str, str], user: Any, signals: Any) -> None:
    """Request, validate and confirm through ``urls``; the password must change."""
    response = client.post(urls["request"], {"email": user.email}, format="json")
    assert response.status_code == 200
    assert response.json() == {"status": "OK"}
    (key,) = signals.keys
    response = client.post(urls["validate"], {"token": key}, format="json")
    assert response.status_code == 200
    response = client.post(urls["confirm"], {"token": key, "password": NEW_PASSWORD}, format="json")
    assert response.status_code == 200
    assert response.json() == {"status": "OK"}
    assert get_user_model()._default_manager.get(pk=user.pk).check_password(NEW_PASSWORD)
    assert [call["user"] for call in signals.post] == [user]
    response = client.post(urls["validate"], {"token": key}, format="json")
    assert response.status_code == 404


# -- add_reset_password_urls_to_router ---------------------------------------------------------


def test_helper_registers_the_three_basenames() -> None:
    assert routes() == {
        "request": "/router/api/auth/passwordreset/",
        "validate": "/router/api/auth/passwordreset/validate_token/",
        "confirm": "/router/api/auth/passwordreset/confirm/",
    }


def test_helper_registers_the_viewsets_on_any_router() -> None:
    fresh = DefaultRouter()
    resetkit_urls.add_reset_password_urls_to_router(fresh, base_path="auth/reset")
    assert {(prefix, viewset, basename) for prefix, viewset, basename in fresh.registry} == {
        ("auth/reset/validate_token", ResetPasswordValidateTokenViewSet, "reset-password-validate"),
        ("auth/reset/confirm", ResetPasswordConfirmViewSet, "reset-password-confirm"),
        ("auth/reset", ResetPasswordRequestTokenViewSet, "reset-password-request"),
    }


def test_full_reset_through_the_router(store_kind, api_client, user, signals) -> None:
    full_reset(api_client, routes(), user, signals)


def test_router_request_answers_like_the_plain_endpoint(api_client, user, signals) -> None:
    """No account oracle on the router routes either."""
    url = routes()["request"]
    known = api_client.post(url, {"email": user.email}, format="json")
    unknown = api_client.post(url, {"email": "nobody@example.com"}, format="json")
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    assert len(signals.created) == 1
    assert signals.created[0]["sender"] is ResetPasswordRequestTokenViewSet


def test_api_root_lists_the_routes(api_client) -> None:
    response = api_client.get("/router/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    listed = {url.removeprefix("http://testserver") for url in response.json().values()}
    assert listed == set(routes().values())


# -- the README's manual registration ----------------------------------------------------------


@README_ROUTES
def test_readme_manual_registration_full_reset(store_kind, api_client, user, signals) -> None:
    urls = routes()
    assert urls["validate"] == "/api/auth/passwordreset/validate_token/"
    assert urls["confirm"] == "/api/auth/passwordreset/confirm/"
    full_reset(api_client, urls, user, signals)


@README_ROUTES
def test_readme_manual_registration_rejects_bad_tokens(api_client, user) -> None:
    urls = routes()
    response = api_client.post(urls["validate"], {"token": "nope"}, format="json")
    assert response.status_code == 404
    response = api_client.post(
        urls["confirm"], {"token": "nope", "password": NEW_PASSWORD}, format="json"
    )
    assert response.status_code == 404


# -- the browsable API ---------------------------------------------------------------------------

FORM_FIELDS = {
    "request": ['name="email"'],
    "validate": ['name="token"'],
    "confirm": ['name="token"', 'name="password"'],
}
PLAIN = {
    "request": "/api/password_reset/",
    "validate": "/api/password_reset/validate_token/",
    "confirm": "/api/password_reset/confirm/",
}


def assert_browsable_form(response: Any, step: str) -> None:
    assert response.status_code in (200, 405)
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<form" in html and 'method="POST"' in html
    for field in FORM_FIELDS[step]:
        assert field in html


@pytest.mark.parametrize("step", sorted(PLAIN))
def test_browsable_api_renders_a_form_for_the_router_routes(api_client, step: str) -> None:
    response = api_client.get(routes()[step], HTTP_ACCEPT="text/html")
    assert_browsable_form(response, step)


@pytest.mark.parametrize("step", sorted(PLAIN))
def test_browsable_api_renders_a_form_for_the_plain_urls(api_client, step: str) -> None:
    response = api_client.get(PLAIN[step], HTTP_ACCEPT="text/html")
    assert_browsable_form(response, step)


@README_ROUTES
@pytest.mark.parametrize("step", sorted(PLAIN))
def test_browsable_api_renders_a_form_for_the_readme_routes(api_client, step: str) -> None:
    response = api_client.get(routes()[step], HTTP_ACCEPT="text/html")
    assert_browsable_form(response, step)


def test_browsable_form_post_works(api_client, user, signals) -> None:
    """The HTML form posts form-encoded data; the endpoint accepts it."""
    response = api_client.post(routes()["request"], {"email": user.email}, HTTP_ACCEPT="text/html")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert len(signals.created) == 1


# -- the as_view() callables and initkwargs -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("reset_password_request_token", views.ResetPasswordRequestToken),
        ("reset_password_validate_token", views.ResetPasswordValidateToken),
        ("reset_password_confirm", views.ResetPasswordConfirm),
    ],
)
def test_as_view_callables_exist(name: str, cls: type) -> None:
    view = getattr(views, name)
    assert callable(view)
    assert view.view_class is cls
    assert name in views.__all__


def test_urls_use_the_as_view_callables() -> None:
    by_name = {pattern.name: pattern.callback for pattern in resetkit_urls.urlpatterns}
    assert by_name == {
        "reset-password-request": views.reset_password_request_token,
        "reset-password-validate": views.reset_password_validate_token,
        "reset-password-confirm": views.reset_password_confirm,
    }


@pytest.mark.parametrize(
    "store_class", [CacheTokenStore, "resetkit.backends.cache.CacheTokenStore"], ids=repr
)
def test_as_view_with_token_store_class(user, signals, store_class: Any) -> None:
    """``as_view(token_store_class=...)`` picks the store for that view only."""
    factory = APIRequestFactory()
    request_view = views.ResetPasswordRequestToken.as_view(token_store_class=store_class)
    validate_view = views.ResetPasswordValidateToken.as_view(token_store_class=store_class)

    response = request_view(factory.post("/", {"email": user.email}, format="json"))
    assert response.status_code == 200
    (key,) = signals.keys
    assert not ResetPasswordToken.objects.exists()
    assert CacheTokenStore().get_token(key) is not None
    # The views configured with that store accept the token; the default (ORM) ones do not.
    assert validate_view(factory.post("/", {"token": key}, format="json")).status_code == 200
    plain = views.reset_password_validate_token(factory.post("/", {"token": key}, format="json"))
    assert plain.status_code == 404
