"""``resetkit.testing``: helpers a project's tests use to get issued tokens without mocks."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from resetkit.pytest_plugin import issued_tokens  # noqa: F401 (the plugin's fixture)
from resetkit.testing import capture_issue_jobs, capture_issued_tokens, flush_issue_jobs
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

REQUEST_URL = "/api/password_reset/"
CONFIRM_URL = "/api/password_reset/confirm/"
THREADS = "resetkit.executors.ThreadExecutor"


def test_capture_issued_tokens_has_raw_keys_when_the_response_is_there(
    make_user: Any, api_client: Any
) -> None:
    alice, bob = make_user(), make_user()
    with resetkit_overrides(ISSUE_EXECUTOR=THREADS), capture_issued_tokens() as tokens:
        api_client.post(REQUEST_URL, {"email": alice.email}, format="json")
        api_client.post(REQUEST_URL, {"email": bob.email}, format="json")
        api_client.post(REQUEST_URL, {"email": "nobody@example.com"}, format="json")
    assert [token.user for token in tokens] == [alice, bob]
    assert tokens.last.user == bob and tokens.for_user(alice) == [tokens[0]]
    assert all(tokens.keys)
    answer = api_client.post(
        CONFIRM_URL, {"token": tokens.for_user(alice)[0].key, "password": "n3w-Passw0rd!"}
    )
    assert answer.status_code == 200


def test_capture_ends_with_the_block(user: Any, api_client: Any) -> None:
    with capture_issued_tokens() as tokens:
        pass
    api_client.post(REQUEST_URL, {"email": user.email}, format="json")
    assert tokens == []
    with pytest.raises(AssertionError, match="no reset token"):
        tokens.last  # noqa: B018


def test_capture_without_running_jobs_keeps_the_executor(user: Any, api_client: Any) -> None:
    with capture_issued_tokens(run_jobs=False) as tokens, capture_issue_jobs() as jobs:
        api_client.post(REQUEST_URL, {"email": user.email}, format="json")
        assert tokens == [] and len(jobs) == 1
        jobs.run()
    assert [token.user for token in tokens] == [user]


def test_capture_sees_programmatic_issuing(user: Any) -> None:
    from resetkit.views import generate_token_for_email

    with capture_issued_tokens() as tokens:
        token = generate_token_for_email(user.email)
    assert tokens == [token]


def test_the_pytest_fixture(issued_tokens: Any, user: Any, api_client: Any) -> None:  # noqa: F811
    with override_settings(RESETKIT={"ISSUE_EXECUTOR": THREADS}):
        api_client.post(REQUEST_URL, {"email": user.email}, format="json")
    flush_issue_jobs()
    assert issued_tokens.last.user == user
