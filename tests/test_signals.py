"""``reset_password_token_created`` is patchable as upstream's is, and still robust."""

from __future__ import annotations

import logging
from typing import Any
from unittest.mock import patch

import pytest

from resetkit.signals import RobustSignal, reset_password_token_created

pytestmark = pytest.mark.django_db

REQUEST_URL = "/api/password_reset/"


def test_patching_send_sees_each_delivery(user: Any, api_client: Any) -> None:
    """What upstream's own tests do: ``@patch("...signals.reset_password_token_created.send")``."""
    with patch("resetkit.signals.reset_password_token_created.send") as send:
        response = api_client.post(REQUEST_URL, {"email": user.email}, format="json")
    assert response.status_code == 200
    assert send.call_count == 1
    token = send.call_args.kwargs["reset_password_token"]
    assert token.user == user and token.key
    assert send.call_args.kwargs["instance"].request.data == {"email": user.email}


def test_a_failing_receiver_is_logged_and_changes_nothing(
    user: Any, api_client: Any, signals: Any, caplog: Any
) -> None:
    def broken(**kwargs: Any) -> None:
        raise ConnectionRefusedError("SMTP is down")

    reset_password_token_created.connect(broken, dispatch_uid="broken-receiver")
    try:
        with caplog.at_level(logging.ERROR, logger="resetkit"):
            response = api_client.post(REQUEST_URL, {"email": user.email}, format="json")
    finally:
        reset_password_token_created.disconnect(dispatch_uid="broken-receiver")
    assert response.status_code == 200 and response.json() == {"status": "OK"}
    assert len(signals.created) == 1  # the other receivers still ran
    assert "broken" in caplog.text and f"pk={user.pk}" in caplog.text
    assert signals.keys[0] not in caplog.text  # the token is never logged


def test_robust_send_returns_every_result() -> None:
    signal = RobustSignal()

    def ok(**kwargs: Any) -> str:
        return "ok"

    def fails(**kwargs: Any) -> None:
        raise ValueError("no")

    signal.connect(ok, weak=False)
    signal.connect(fails, weak=False)
    results = signal.send(sender=None)
    assert results[0] == (ok, "ok")
    assert results[1][0] is fails and isinstance(results[1][1], ValueError)


def test_a_failing_post_password_reset_receiver_leaves_the_reset_answered_200(
    user: Any, api_client: Any, signals: Any, caplog: Any
) -> None:
    """After the commit the reset has happened: a raising "password changed" notifier is
    logged, and the client is told the truth (200), not a 500 that reads as "nothing
    happened"."""
    from resetkit.signals import post_password_reset

    def notifier_down(**kwargs: Any) -> None:
        raise ConnectionRefusedError("SMTP is down")

    api_client.post(REQUEST_URL, {"email": user.email}, format="json")
    key = signals.keys[-1]
    post_password_reset.connect(notifier_down, dispatch_uid="notifier-down")
    try:
        with caplog.at_level(logging.ERROR, logger="resetkit"):
            response = api_client.post(
                "/api/password_reset/confirm/",
                {"token": key, "password": "a-much-better-one-42"},
                format="json",
            )
    finally:
        post_password_reset.disconnect(dispatch_uid="notifier-down")
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.check_password("a-much-better-one-42")
    [record] = [
        r
        for r in caplog.records
        if getattr(r, "reset_event", "") == "confirm.post_reset_receiver_failed"
    ]
    assert "notifier_down" in record.getMessage()


def test_pre_and_post_password_reset_carry_the_view_as_instance(
    user: Any, api_client: Any, signals: Any
) -> None:
    """``instance`` (the confirm view) joins ``sender``, ``user`` and ``reset_password_token``,
    which are as upstream sends them."""
    from resetkit.views import ResetPasswordConfirm

    api_client.post(REQUEST_URL, {"email": user.email}, format="json")
    token = signals.tokens[-1]
    response = api_client.post(
        "/api/password_reset/confirm/",
        {"token": token.key, "password": "a-much-better-one-42"},
        format="json",
    )
    assert response.status_code == 200
    [pre] = signals.pre
    [post] = signals.post
    for sent in (pre, post):
        assert set(sent) == {"signal", "sender", "instance", "user", "reset_password_token"}
        assert sent["sender"] is ResetPasswordConfirm
        assert isinstance(sent["instance"], ResetPasswordConfirm)
        assert sent["instance"].request.method == "POST"
        assert sent["user"].pk == user.pk
        assert sent["reset_password_token"].key == token.key
    assert pre["instance"] is post["instance"]


def test_a_receiver_written_for_upstream_still_works(
    user: Any, api_client: Any, signals: Any
) -> None:
    """Upstream receivers name the arguments they use and take ``**kwargs`` for the rest."""
    from resetkit.signals import post_password_reset, pre_password_reset

    seen: list[tuple[str, Any]] = []

    def upstream_receiver(sender: Any, user: Any, reset_password_token: Any, **kwargs: Any):
        seen.append((sender.__name__, user.pk))

    pre_password_reset.connect(upstream_receiver, dispatch_uid="upstream-pre")
    post_password_reset.connect(upstream_receiver, dispatch_uid="upstream-post")
    try:
        api_client.post(REQUEST_URL, {"email": user.email}, format="json")
        response = api_client.post(
            "/api/password_reset/confirm/",
            {"token": signals.keys[-1], "password": "a-much-better-one-42"},
            format="json",
        )
    finally:
        pre_password_reset.disconnect(dispatch_uid="upstream-pre")
        post_password_reset.disconnect(dispatch_uid="upstream-post")
    assert response.status_code == 200
    assert seen == [("ResetPasswordConfirm", user.pk)] * 2
