"""TokenIssueMixin: its hooks, overridden one at a time, and the input it must survive."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import path
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory

from resetkit.backends.cache import CacheTokenStore
from resetkit.generics import ResetAPIView
from resetkit.identifiers import identifiers_match
from resetkit.mixins import TokenIssueMixin
from resetkit.signals import reset_password_token_created
from resetkit.views import ResetPasswordRequestToken

pytestmark = pytest.mark.django_db
factory = APIRequestFactory()


def post(view: Any, data: Any, **extra: Any) -> Response:
    """Call ``view`` as a server would: render, send, then ``close()`` the response."""
    request = factory.post("/reset/", data, format="json", **extra)
    response: Response = view(request)
    response.render()
    return response


class UsernameSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)


class ByUsername(ResetPasswordRequestToken):
    """Lookup by username: one serializer and two hooks."""

    serializer_class = UsernameSerializer

    def get_lookup_field(self) -> str:
        return "username"

    def get_lookup_value(self, validated_data: Any) -> str:
        return str(validated_data["username"])


def test_lookup_by_username_by_overriding_hooks(user, signals) -> None:
    response = post(ByUsername.as_view(), {"username": "ALICE"})
    assert response.status_code == 200
    assert [t.user for t in signals.tokens] == [user]


class Accepted(ResetPasswordRequestToken):
    def get_issue_response(self) -> Response:
        return Response({"detail": "If the account exists, an e-mail is on its way."}, 202)


def test_custom_response(user) -> None:
    response = post(Accepted.as_view(), {"email": "alice@example.com"})
    assert response.status_code == 202
    assert response.data == {"detail": "If the account exists, an e-mail is on its way."}


def test_deliver_token_hook_replaces_the_signal(user, signals) -> None:
    delivered: list[Any] = []

    class DirectDelivery(ResetPasswordRequestToken):
        def deliver_token(self, token: Any) -> None:
            delivered.append(token)

    post(DirectDelivery.as_view(), {"email": "alice@example.com"})
    assert [t.user for t in delivered] == [user]
    assert signals.created == []


def test_get_user_queryset_narrows_the_accounts(make_user, signals) -> None:
    make_user(email="staff@example.com", is_staff=True)

    class NonStaffOnly(ResetPasswordRequestToken):
        def get_user_queryset(self) -> Any:
            return get_user_model()._default_manager.filter(is_staff=False)

    post(NonStaffOnly.as_view(), {"email": "staff@example.com"})
    assert signals.created == []


def test_per_view_store_through_as_view(user, signals) -> None:
    view = ResetPasswordRequestToken.as_view(token_store_class=CacheTokenStore)
    post(view, {"email": "alice@example.com"})
    key = signals.keys[0]
    assert CacheTokenStore().get_token(key) is not None
    from resetkit.backends.orm import ORMTokenStore

    assert ORMTokenStore().get_token(key) is None


def test_per_view_store_as_dotted_path_with_options(user, signals, settings) -> None:
    settings.CACHES = {
        **settings.CACHES,
        "tokens": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "t"},
    }
    view = ResetPasswordRequestToken.as_view(
        token_store_class="resetkit.backends.cache.CacheTokenStore",
        token_store_kwargs={"cache_alias": "tokens"},
    )
    post(view, {"email": "alice@example.com"})
    assert CacheTokenStore(cache_alias="tokens").get_token(signals.keys[0]) is not None
    assert CacheTokenStore().get_token(signals.keys[0]) is None


def test_bad_store_class_names_the_view(user) -> None:
    from django.core.exceptions import ImproperlyConfigured

    view = ResetPasswordRequestToken.as_view(token_store_class="builtins.dict")
    with pytest.raises(ImproperlyConfigured, match=r"ResetPasswordRequestToken\.token_store_class"):
        post(view, {"email": "alice@example.com"})


def test_per_view_generator(user, signals) -> None:
    view = ResetPasswordRequestToken.as_view(
        token_generator_class="resetkit.generators.RandomNumberTokenGenerator"
    )
    post(view, {"email": "alice@example.com"})
    assert signals.keys[0].isdigit()


def test_mixin_composes_with_the_view_base(user, signals) -> None:
    """Users can assemble their own view from the mixin and resetkit's ResetAPIView."""

    class Serializer(serializers.Serializer):
        email = serializers.EmailField()

    class MyResetRequest(TokenIssueMixin, ResetAPIView):
        serializer_class = Serializer

        def put(self, request: Any) -> Response:
            return self.issue_tokens(request)

    request = factory.put("/x/", {"email": "alice@example.com"}, format="json")
    response = MyResetRequest.as_view()(request)
    assert response.status_code == 200
    assert len(signals.created) == 1


def test_a_mixin_on_a_plain_generic_view_says_which_base_it_needs(user) -> None:
    """Without ResetAPIView a step would lose its throttles and outage answers: it refuses."""

    class Serializer(serializers.Serializer):
        email = serializers.EmailField()

    class MyResetRequest(TokenIssueMixin, GenericAPIView):
        serializer_class = Serializer
        permission_classes = ()

        def put(self, request: Any) -> Response:
            return self.issue_tokens(request)

    request = factory.put("/x/", {"email": "alice@example.com"}, format="json")
    with pytest.raises(
        ImproperlyConfigured, match=r"MyResetRequest .*resetkit\.generics\.ResetAPIView"
    ):
        MyResetRequest.as_view()(request)


def test_failing_receiver_is_logged_and_the_answer_unchanged(user, api_client, caplog) -> None:
    def broken_smtp(**kwargs: Any) -> None:
        raise ConnectionRefusedError("smtp down")

    reset_password_token_created.connect(broken_smtp, dispatch_uid="broken")
    try:
        with caplog.at_level(logging.ERROR, logger="resetkit"):
            known = api_client.post("/api/password_reset/", {"email": "alice@example.com"})
            unknown = api_client.post("/api/password_reset/", {"email": "zed@example.com"})
    finally:
        reset_password_token_created.disconnect(dispatch_uid="broken")
    assert known.status_code == unknown.status_code == 200
    assert known.content == unknown.content
    failures = [r for r in caplog.records if r.name == "resetkit"]
    assert len(failures) == 1
    assert "broken_smtp" in failures[0].getMessage()
    assert str(user.pk) in failures[0].getMessage()


IDENTIFIERS = [
    ("alice@example.com", "ALICE@EXAMPLE.COM", True),
    ("stra\u00dfe@example.com", "STRASSE@example.com", True),  # casefold: ß == ss
    ("\uff41lice@example.com", "alice@example.com", True),  # fullwidth a, NFKC
    ("alice@examp\u0131e.com", "alice@example.com", False),  # dotless i
    ("\u212aelvin@example.com", "kelvin@example.com", True),  # Kelvin sign is K
    ("alice@example.com", "alice@examp1e.com", False),
]


@pytest.mark.parametrize(("submitted", "stored", "same"), IDENTIFIERS)
def test_identifiers_match(submitted: str, stored: str, same: bool) -> None:
    assert identifiers_match(submitted, stored) is same


class AnyIdentifier(serializers.Serializer):
    email = serializers.CharField(max_length=254)


@pytest.mark.parametrize(("submitted", "stored", "same"), IDENTIFIERS)
def test_the_request_step_issues_exactly_when_the_identifiers_match(
    make_user, signals, submitted: str, stored: str, same: bool
) -> None:
    """The candidate query returns the account whatever the database would have matched, so
    the request step's own comparison decides: a token when it is the same identifier, none
    otherwise (on every database; SQLite's ``LIKE`` would match none of the Unicode rows)."""
    account = make_user(email=stored)

    class EveryCandidate(ResetPasswordRequestToken):
        serializer_class = AnyIdentifier  # the e-mail syntax check is not under test

        def get_candidate_users(self, value: str) -> Any:
            return [account]

    assert post(EveryCandidate.as_view(), {"email": submitted}).status_code == 200
    assert [t.user for t in signals.tokens] == ([account] if same else [])


def test_database_match_is_confirmed_by_unicode_comparison(make_user, signals) -> None:
    """A loose database match (PostgreSQL's UPPER() folds a dotless i to I) is not enough."""
    victim = make_user(email="admin@mix.example.com")

    class LooseDatabase(ResetPasswordRequestToken):
        def get_candidate_users(self, value: str) -> Any:
            return [victim]  # what such a database returns for the look-alike address

    response = post(LooseDatabase.as_view(), {"email": "adm\u0131n@mix.example.com"})
    assert response.status_code == 200
    assert signals.created == []
    post(LooseDatabase.as_view(), {"email": "ADMIN@mix.example.com"})
    assert [t.user for t in signals.tokens] == [victim]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[]", "application/json"),
        (b'["alice@example.com"]', "application/json"),
        (b'"alice@example.com"', "application/json"),
        (b"42", "application/json"),
        (b"null", "application/json"),
        (b'{"email": ["alice@example.com"]}', "application/json"),
        (b'{"email": {"a": 1}}', "application/json"),
        (b'{"email": 12}', "application/json"),
        (b'{"email": "alice\\u0000@example.com"}', "application/json"),
        (b'{"email": "' + b"a" * 1_000_000 + b'@example.com"}', "application/json"),
        (b'{"email": "' + b"a" * 250 + b'@example.com"}', "application/json"),
        (b"email=not-an-address", "application/x-www-form-urlencoded"),
        (b"\xff\xfe\x00garbage", "application/octet-stream"),
    ],
)
def test_bad_input_is_a_4xx_with_a_json_body(api_client, user, signals, body, content_type):
    response = api_client.generic(
        "POST",
        "/api/password_reset/",
        body,
        content_type=content_type,
        HTTP_ACCEPT="application/json",
    )
    assert status.HTTP_400_BAD_REQUEST <= response.status_code < 500
    assert isinstance(response.json(), dict)
    assert signals.created == []


def test_form_encoded_and_multipart_bodies_work(api_client, user, signals) -> None:
    assert (
        api_client.post("/api/password_reset/", {"email": "alice@example.com"}).status_code == 200
    )
    response = api_client.post(
        "/api/password_reset/",
        "email=alice%40example.com",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert len(signals.created) == 2


@override_settings(ROOT_URLCONF=__name__)
def test_views_work_mounted_anywhere(user, signals, client) -> None:
    response = client.post("/elsewhere/", {"email": "alice@example.com"})
    assert response.status_code == 200
    assert len(signals.created) == 1


urlpatterns = [path("elsewhere/", ResetPasswordRequestToken.as_view())]
