"""Two different tokens of one user, confirmed at the same moment: exactly one reset.

Both tokens are live and belong to the same account. Each confirm locks the user's row and
checks that the password is still the one its token was issued under: the first to get the
lock changes the password, which voids the other token, so the second answers the generic 404
and sends no ``post_password_reset``. Ten trials per store (the ORM store, and the cache store
on the run's cache: ``LocMemCache`` by default, Redis with ``RESETKIT_TEST_CACHE=redis``),
through the real endpoint, each thread on its own database connection.

Each cache read and each SQL statement takes a little longer here, as a round trip to a server
does, so that the two confirms overlap rather than run one after the other.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db.backends.utils import CursorWrapper
from django.urls import reverse
from rest_framework.test import APIClient

from resetkit.backends import get_token_store
from resetkit.flows.base import INVALID_TOKEN_ERROR
from tests.concurrency import run_together
from tests.conftest import resetkit_overrides

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]

TRIALS = 10
CONFIRM_URL = reverse("password_reset:reset-password-confirm")


@pytest.fixture(autouse=True)
def _no_endpoint_throttles() -> Any:
    """Both confirms come from one address; throttling is tested elsewhere."""
    with resetkit_overrides(CONFIRM_THROTTLE_CLASSES=[], VALIDATE_THROTTLE_CLASSES=[]):
        yield


@pytest.fixture
def slow_round_trips(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every cache read and SQL statement takes 2 ms longer, as a round trip to a server does."""
    cache_class = type(caches["default"])
    real_get, real_get_many = cache_class.get, cache_class.get_many
    real_execute = CursorWrapper.execute

    def get(self: Any, *args: Any, **kwargs: Any) -> Any:
        value = real_get(self, *args, **kwargs)
        time.sleep(0.002)
        return value

    def get_many(self: Any, *args: Any, **kwargs: Any) -> Any:
        value = real_get_many(self, *args, **kwargs)
        time.sleep(0.002)
        return value

    def execute(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = real_execute(self, *args, **kwargs)
        time.sleep(0.002)
        return result

    monkeypatch.setattr(cache_class, "get", get)
    monkeypatch.setattr(cache_class, "get_many", get_many)
    monkeypatch.setattr(CursorWrapper, "execute", execute)


def password_of(trial: int, n: int) -> str:
    return f"trial-{trial:02d}-thread-{n}-Passw0rd!x"


@pytest.mark.parametrize("trial", range(TRIALS))
def test_two_tokens_of_one_user_confirmed_together_reset_once(
    store_kind: str, make_user: Any, signals: Any, slow_round_trips: None, trial: int
) -> None:
    user = make_user()
    store = get_token_store()
    keys = [store.create_token(user, f"{trial:02x}{n:030x}").key for n in range(2)]
    assert all(store.get_token(key) is not None for key in keys)

    def confirm(n: int) -> tuple[int, Any]:
        response = APIClient().post(
            CONFIRM_URL, {"token": keys[n], "password": password_of(trial, n)}, format="json"
        )
        return int(response.status_code), response.json()

    results = run_together(2, confirm)

    statuses = sorted(status for status, _body in results)
    assert statuses == [200, 404], results
    winner = next(n for n, (status, _body) in enumerate(results) if status == 200)
    loser_body = results[1 - winner][1]
    assert loser_body == {"detail": str(INVALID_TOKEN_ERROR)}
    assert len(signals.post) == 1 and len(signals.pre) == 1
    assert signals.post[0]["reset_password_token"].key == keys[winner]
    fresh = get_user_model()._default_manager.get(pk=user.pk)
    assert fresh.check_password(password_of(trial, winner))
    assert all(store.get_token(key) is None for key in keys)
