"""The request endpoint answers before it looks anything up (``ISSUE_AFTER_RESPONSE``)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from rest_framework.test import APIRequestFactory

from resetkit.signals import reset_password_token_created
from resetkit.views import reset_password_request_token
from tests.conftest import finish_response, resetkit_overrides

pytestmark = pytest.mark.django_db
factory = APIRequestFactory()


def answer(email: str) -> Any:
    """The response as the view returns it to the server, before it is sent and closed."""
    request = factory.post("/api/password_reset/", {"email": email}, format="json")
    response = reset_password_request_token(request)
    response.render()
    return response


def test_nothing_is_looked_up_before_the_answer_is_sent(
    user, signals, django_assert_num_queries
) -> None:
    with django_assert_num_queries(0):
        response = answer("alice@example.com")
    assert response.status_code == 200
    assert signals.created == []
    finish_response(response)
    assert [t.user for t in signals.tokens] == [user]


def test_the_answer_is_built_the_same_for_every_account(user) -> None:
    known, unknown = answer("alice@example.com"), answer("nobody@example.com")
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert dict(known.items()) == dict(unknown.items())
    finish_response(known)
    finish_response(unknown)


def test_inline_mode_issues_before_answering(user, signals) -> None:
    with resetkit_overrides(ISSUE_AFTER_RESPONSE=False):
        response = answer("alice@example.com")
    assert [t.user for t in signals.tokens] == [user]
    finish_response(response)
    assert len(signals.created) == 1


def test_legacy_400_mode_works_inline(user, signals) -> None:
    with resetkit_overrides(NO_INFORMATION_LEAKAGE=False):
        assert answer("nobody@example.com").status_code == 400
        assert answer("alice@example.com").status_code == 200
    assert len(signals.created) == 1


def test_failure_after_answering_is_logged_without_the_token(user, caplog) -> None:
    seen: list[str] = []

    def explode(reset_password_token: Any, **kwargs: Any) -> None:
        seen.append(reset_password_token.key)
        raise RuntimeError("mail server said no")

    reset_password_token_created.connect(explode, dispatch_uid="explode")
    try:
        with caplog.at_level(logging.ERROR):
            finish_response(answer("alice@example.com"))
    finally:
        reset_password_token_created.disconnect(dispatch_uid="explode")
    assert seen
    assert any("mail server said no" in (r.exc_text or str(r.exc_info)) for r in caplog.records)
    assert all(seen[0] not in r.getMessage() for r in caplog.records)
    assert all(seen[0] not in (r.exc_text or "") for r in caplog.records)


def test_a_crash_of_the_deferred_work_is_logged_with_context(user, caplog, monkeypatch) -> None:
    from resetkit.views import ResetPasswordRequestToken

    def broken(self: Any, value: str) -> list[Any]:
        raise KeyError("boom")

    monkeypatch.setattr(ResetPasswordRequestToken, "get_users_for_reset", broken)
    with caplog.at_level(logging.ERROR, logger="resetkit"):
        response = finish_response(answer("alice@example.com"))
    assert response.status_code == 200
    [record] = [r for r in caplog.records if r.name == "resetkit"]
    assert "ResetPasswordRequestToken" in record.getMessage()
    assert "/api/password_reset/" in record.getMessage()
    assert record.exc_info is not None


def test_misconfiguration_still_fails_the_request(user) -> None:
    from django.core.exceptions import ImproperlyConfigured

    with (
        resetkit_overrides(TOKEN_STORE="resetkit.backends.nope.Store"),
        pytest.raises(ImproperlyConfigured, match="TOKEN_STORE"),
    ):
        answer("alice@example.com")
