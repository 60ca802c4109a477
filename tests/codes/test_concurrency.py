"""64 simultaneous wrong codes for one account: at most ``CODE_ATTEMPT_LIMIT`` are evaluated.

The threads start together on a barrier, each on its own database connection, against the
run's database and cache (LocMem by default; Redis with ``RESETKIT_TEST_CACHE=redis``). No
evaluation starts before every thread has reserved its attempt, so the count is tested with all
64 reservations really overlapping.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from rest_framework.test import APIClient

from resetkit.attempts import CodeAttempts
from resetkit.codes.flows import CodeResetFlow
from tests.codes.conftest import CONFIRM, VALIDATE, request_code, wrong_codes
from tests.concurrency import run_together

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

THREADS = 64


@pytest.mark.parametrize("url", [VALIDATE, CONFIRM])
def test_simultaneous_wrong_codes_evaluate_at_most_the_limit(
    monkeypatch, api_client, user, url: str
) -> None:
    code = request_code(api_client, user.email)
    guesses = wrong_codes(THREADS, code)
    lock = threading.Lock()
    reserved = {"count": 0}
    all_reserved = threading.Event()
    evaluated: list[str] = []
    real_reserve = CodeAttempts.reserve
    real_get_matching_users = CodeResetFlow.get_matching_users

    def reserve(self: CodeAttempts, identifier: str) -> Any:
        attempt = real_reserve(self, identifier)
        with lock:
            reserved["count"] += 1
            if reserved["count"] == THREADS:
                all_reserved.set()
        return attempt

    def get_matching_users(self: Any, identifier: str) -> Any:
        # Only an attempt within the budget goes on to look the code up.
        assert all_reserved.wait(timeout=60), "not every thread reserved its attempt"
        with lock:
            evaluated.append(identifier)
        return real_get_matching_users(self, identifier)

    monkeypatch.setattr(CodeAttempts, "reserve", reserve)
    monkeypatch.setattr(CodeResetFlow, "get_matching_users", get_matching_users)

    def guess(n: int) -> int:
        body = {"email": user.email, "code": guesses[n], "password": "a-much-better-one-42"}
        return int(APIClient().post(url, body, format="json").status_code)

    statuses = run_together(THREADS, guess)

    assert statuses == [404] * THREADS  # no 500, no 429: every one the generic answer
    assert len(evaluated) == 5
    # The fifth wrong code revoked the account's codes.
    monkeypatch.undo()
    from tests.codes.conftest import validate

    assert validate(api_client, user.email, code).status_code == 404
