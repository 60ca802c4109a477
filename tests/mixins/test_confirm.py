"""PasswordConfirmMixin: hooks, signal order, and what a rejected confirm leaves behind."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.response import Response

from resetkit.signals import post_password_reset, pre_password_reset
from resetkit.views import ResetPasswordConfirm
from tests.mixins.conftest import call

pytestmark = pytest.mark.django_db

CONFIRM_URL = "/api/password_reset/confirm/"
NEW_PASSWORD = "brand-new-Passw0rd"


def reload(user: Any) -> Any:
    return get_user_model()._default_manager.get(pk=user.pk)


def test_signals_in_order_around_the_password_change(api_client, key, user) -> None:
    seen: list[tuple[str, bool]] = []

    def on_pre(sender: Any, user: Any, reset_password_token: Any, **kw: Any) -> None:
        seen.append(("pre", reload(user).check_password(NEW_PASSWORD)))

    def on_post(sender: Any, user: Any, reset_password_token: Any, **kw: Any) -> None:
        seen.append(("post", reload(user).check_password(NEW_PASSWORD)))

    pre_password_reset.connect(on_pre, dispatch_uid="order-pre")
    post_password_reset.connect(on_post, dispatch_uid="order-post")
    try:
        response = api_client.post(
            CONFIRM_URL, {"token": key, "password": NEW_PASSWORD}, format="json"
        )
    finally:
        pre_password_reset.disconnect(dispatch_uid="order-pre")
        post_password_reset.disconnect(dispatch_uid="order-post")
    assert response.status_code == 200
    assert seen == [("pre", False), ("post", True)]


def test_steps_run_in_order_with_the_store_last(api_client, key, user) -> None:
    """Revokers, pre_password_reset, the password write, then the store: everything that can
    fail runs before the token is spent (a cache store cannot roll that back)."""
    steps: list[str] = []

    class Recording(ResetPasswordConfirm):
        def lock_user(self, user: Any, using: str) -> Any:
            steps.append("lock_user")
            return super().lock_user(user, using)

        def revoke_other_credentials(self, user: Any) -> None:
            steps.append("revoke_other_credentials")
            super().revoke_other_credentials(user)

        def set_password(self, user: Any, password: str) -> None:
            steps.append("set_password")
            super().set_password(user, password)

        def consume_token(self, store: Any, token: Any) -> bool:
            steps.append("consume_token")
            return super().consume_token(store, token)

    def on_pre(**kwargs: Any) -> None:
        steps.append("pre_password_reset")

    def on_post(**kwargs: Any) -> None:
        steps.append("post_password_reset")

    pre_password_reset.connect(on_pre, dispatch_uid="steps-pre")
    post_password_reset.connect(on_post, dispatch_uid="steps-post")
    try:
        response = call(Recording.as_view(), {"token": key, "password": NEW_PASSWORD})
    finally:
        pre_password_reset.disconnect(dispatch_uid="steps-pre")
        post_password_reset.disconnect(dispatch_uid="steps-post")
    assert response.status_code == 200
    assert steps == [
        "lock_user",
        "revoke_other_credentials",
        "pre_password_reset",
        "set_password",
        "consume_token",
        "post_password_reset",
    ]


def test_signal_sender_is_the_view_class(api_client, key, signals) -> None:
    api_client.post(CONFIRM_URL, {"token": key, "password": NEW_PASSWORD}, format="json")
    assert signals.pre[0]["sender"] is ResetPasswordConfirm
    assert signals.post[0]["sender"] is ResetPasswordConfirm


def test_failure_while_saving_rolls_back_and_keeps_the_token(api_client, key, user, signals):
    class Broken(ResetPasswordConfirm):
        def set_password(self, user: Any, password: str) -> None:
            super().set_password(user, password)
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        call(Broken.as_view(), {"token": key, "password": NEW_PASSWORD})
    assert reload(user).check_password("old-Passw0rd!")
    assert signals.post == []
    response = api_client.post(CONFIRM_URL, {"token": key, "password": NEW_PASSWORD}, format="json")
    assert response.status_code == 200


def test_only_the_password_column_is_written(api_client, key, user) -> None:
    get_user_model()._default_manager.filter(pk=user.pk).update(first_name="Changed")
    api_client.post(CONFIRM_URL, {"token": key, "password": NEW_PASSWORD}, format="json")
    fresh = reload(user)
    assert fresh.first_name == "Changed"  # the stale in-memory user did not overwrite it
    assert fresh.check_password(NEW_PASSWORD)


def test_custom_confirm_response(key) -> None:
    class NoContent(ResetPasswordConfirm):
        def get_confirm_response(self, token: Any) -> Response:
            return Response(status=204)

    assert call(NoContent.as_view(), {"token": key, "password": NEW_PASSWORD}).status_code == 204


def test_custom_password_rule(key, user) -> None:
    from rest_framework.exceptions import ValidationError

    class NoAlice(ResetPasswordConfirm):
        def check_password(self, password: str, user: Any) -> None:
            super().check_password(password, user)
            if "alice" in password.lower():
                raise ValidationError({"password": ["Do not use your name."]})

    response = call(NoAlice.as_view(), {"token": key, "password": "Alice-rules-1234"})
    assert response.status_code == 400
    assert response.data == {"password": ["Do not use your name."]}
    assert call(NoAlice.as_view(), {"token": key, "password": NEW_PASSWORD}).status_code == 200


def test_password_is_not_trimmed(api_client, key, user) -> None:
    password = "  spaced-Passw0rd  "
    api_client.post(CONFIRM_URL, {"token": key, "password": password}, format="json")
    assert reload(user).check_password(password)


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'{"token": "x"}',
        b'{"password": "brand-new-Passw0rd"}',
        b'{"token": "x", "password": null}',
        b'{"token": "x", "password": 5}',
        b'{"token": "x", "password": "a\\u0000b-long-enough"}',
        b'{"token": "x", "password": "' + b"p" * 5000 + b'"}',
    ],
)
def test_bad_input_is_a_4xx_and_changes_nothing(api_client, key, user, signals, body) -> None:
    response = api_client.generic("POST", CONFIRM_URL, body, content_type="application/json")
    assert 400 <= response.status_code < 500
    assert signals.pre == []
    assert reload(user).check_password("old-Passw0rd!")
