"""A reset is all or nothing: a step that fails after the checks passed leaves nothing changed.

Whatever fails (a revoker, a ``pre_password_reset`` receiver, the password write, the store's
consume), the answer is a 5xx with the cause logged, the password is unchanged, the token
still works, the user's other tokens still work and ``post_password_reset`` is not sent. Run
on both stores: the ORM store gets it from the rollback, the cache store from spending the
token last.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from resetkit.backends import get_token_store
from resetkit.mixins.base import SERVICE_UNAVAILABLE_ERROR
from resetkit.signals import pre_password_reset
from resetkit.views import ResetPasswordConfirm
from tests.conftest import STORES, resetkit_overrides

pytestmark = pytest.mark.django_db

CONFIRM_URL = "/api/password_reset/confirm/"
VALIDATE_URL = "/api/password_reset/validate_token/"
OLD_PASSWORD = "old-Passw0rd!"
NEW_PASSWORD = "brand-new-Passw0rd"
KEY = "ab" * 16
OTHER_KEY = "cd" * 16


@pytest.fixture(autouse=True)
def _no_endpoint_throttles() -> Any:
    """These tests send many confirms from one address; throttling is tested elsewhere."""
    with resetkit_overrides(CONFIRM_THROTTLE_CLASSES=[], VALIDATE_THROTTLE_CLASSES=[]):
        yield


@pytest.fixture
def client(api_client: Any) -> Any:
    """A client that gets the server's answer to an unhandled error, as a browser would."""
    api_client.raise_request_exception = False
    return api_client


@pytest.fixture
def tokens(store_kind: str, user: Any) -> list[str]:
    """Two outstanding tokens of ``user`` in the configured store."""
    store = get_token_store()
    return [store.create_token(user, key).key for key in (KEY, OTHER_KEY)]


def confirm(client: Any, key: str = KEY) -> Any:
    return client.post(CONFIRM_URL, {"token": key, "password": NEW_PASSWORD}, format="json")


def is_valid(client: Any, key: str) -> bool:
    status = client.post(VALIDATE_URL, {"token": key}, format="json").status_code
    assert status in (200, 404)
    return status == 200


def password_is(user: Any, password: str) -> bool:
    return bool(get_user_model()._default_manager.get(pk=user.pk).check_password(password))


def failure_records(caplog: Any) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "reset_event", None) == "confirm.failed"]


def assert_nothing_changed(client: Any, user: Any, signals: Any) -> None:
    """Password, tokens and signals as if the confirm had never been sent; then the token
    still resets the password (and the other token dies with that reset)."""
    assert password_is(user, OLD_PASSWORD)
    assert signals.post == []
    assert is_valid(client, KEY)
    assert is_valid(client, OTHER_KEY)


def assert_token_still_resets(client: Any, user: Any, signals: Any) -> None:
    pre_before = len(signals.pre)
    assert confirm(client).status_code == 200
    assert password_is(user, NEW_PASSWORD)
    assert len(signals.pre) == pre_before + 1 and len(signals.post) == 1
    assert not is_valid(client, KEY)
    assert not is_valid(client, OTHER_KEY)


def refuse(user: Any) -> None:
    raise RuntimeError("session store unreachable")


def test_a_failing_revoker(client, tokens, user, signals, caplog) -> None:
    with resetkit_overrides(POST_RESET_REVOKERS=[refuse]):
        response = confirm(client)
    assert response.status_code == 500
    assert_nothing_changed(client, user, signals)
    # Revokers run before pre_password_reset: a receiver hears of no reset that did not happen.
    assert signals.pre == []
    [record] = failure_records(caplog)
    assert record.name == "resetkit" and record.levelno == logging.ERROR
    assert record.reset_step == "revoke_other_credentials"
    assert record.reset_user_pk == user.pk or record.reset_user_pk == str(user.pk)
    assert "session store unreachable" in record.getMessage()
    assert record.exc_info is not None
    assert_token_still_resets(client, user, signals)


def test_the_revokers_database_writes_are_undone(client, tokens, user, signals) -> None:
    Token.objects.create(user=user)
    revokers = ["resetkit.revokers.authtoken.revoke_auth_tokens", refuse]
    with resetkit_overrides(POST_RESET_REVOKERS=revokers):
        assert confirm(client).status_code == 500
    assert Token.objects.filter(user=user).exists()
    assert_nothing_changed(client, user, signals)


def test_a_failing_password_write(client, tokens, user, signals, caplog, monkeypatch) -> None:
    real = ResetPasswordConfirm.set_password

    def set_password(self: Any, user: Any, password: str) -> None:
        real(self, user, password)  # written, then the connection "drops"
        raise RuntimeError("disk full")

    monkeypatch.setattr(ResetPasswordConfirm, "set_password", set_password)
    assert confirm(client).status_code == 500
    monkeypatch.undo()
    assert_nothing_changed(client, user, signals)
    assert len(signals.pre) == 1  # sent "just before the password is set"
    [record] = failure_records(caplog)
    assert record.reset_step == "set_password"
    assert_token_still_resets(client, user, signals)


def test_a_failing_pre_password_reset_receiver(client, tokens, user, signals, caplog) -> None:
    def explode(**kwargs: Any) -> None:
        raise RuntimeError("audit log unreachable")

    pre_password_reset.connect(explode, dispatch_uid="atomicity-explode")
    try:
        assert confirm(client).status_code == 500
    finally:
        pre_password_reset.disconnect(dispatch_uid="atomicity-explode")
    assert_nothing_changed(client, user, signals)
    assert [r.reset_step for r in failure_records(caplog)] == ["pre_password_reset"]
    assert_token_still_resets(client, user, signals)


def test_a_failing_store_step(client, tokens, user, signals, caplog, monkeypatch) -> None:
    """The store's consume raises before it changed anything: the password write is rolled
    back and the tokens are as they were."""
    store_class = type(get_token_store())

    def consume_and_revoke(self: Any, token: Any) -> bool:
        raise RuntimeError("store refused the write")

    monkeypatch.setattr(store_class, "consume_and_revoke", consume_and_revoke)
    assert confirm(client).status_code == 500
    monkeypatch.undo()
    assert_nothing_changed(client, user, signals)
    assert [r.reset_step for r in failure_records(caplog)] == ["consume_token"]
    assert_token_still_resets(client, user, signals)


def test_an_unreachable_store_at_the_last_step_is_a_503(
    client, tokens, user, signals, monkeypatch
) -> None:
    from redis.exceptions import ConnectionError as RedisConnectionError

    store_class = type(get_token_store())

    def consume_and_revoke(self: Any, token: Any) -> bool:
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(store_class, "consume_and_revoke", consume_and_revoke)
    response = confirm(client)
    monkeypatch.undo()
    assert response.status_code == 503
    assert response.json() == {"detail": str(SERVICE_UNAVAILABLE_ERROR)}
    assert_nothing_changed(client, user, signals)
    assert_token_still_resets(client, user, signals)


def test_a_token_revoked_during_the_reset_is_a_404_and_undoes_it(
    client, tokens, user, signals
) -> None:
    """If the token dies after the checks (revoked by staff in that instant), the store step
    loses: the generic 404, and the password write is rolled back."""

    def revoke_meanwhile(user: Any) -> None:
        get_token_store().revoke_user_tokens(user)

    with resetkit_overrides(POST_RESET_REVOKERS=[revoke_meanwhile]):
        response = confirm(client)
    assert response.status_code == 404
    assert password_is(user, OLD_PASSWORD)
    assert signals.post == []


def test_a_successful_reset_is_complete(client, tokens, user, signals, caplog) -> None:
    seen: list[Any] = []
    with resetkit_overrides(POST_RESET_REVOKERS=[seen.append]):
        assert confirm(client).status_code == 200
    assert [u.pk for u in seen] == [user.pk]
    assert password_is(user, NEW_PASSWORD)
    assert len(signals.pre) == len(signals.post) == 1
    assert not is_valid(client, KEY) and not is_valid(client, OTHER_KEY)
    assert failure_records(caplog) == []


@pytest.mark.parametrize("store", sorted(STORES))
def test_signals_and_revokers_get_the_fresh_user(client, user, signals, store) -> None:
    """The user handed to revokers, signals and ``set_password`` is the row read under the
    lock, not the one loaded with the token."""
    seen: list[Any] = []
    with resetkit_overrides(TOKEN_STORE=STORES[store], POST_RESET_REVOKERS=[seen.append]):
        get_token_store().create_token(user, KEY)
        get_user_model()._default_manager.filter(pk=user.pk).update(first_name="Fresh")
        assert confirm(client).status_code == 200
    assert seen[0].first_name == "Fresh"
    assert signals.pre[0]["user"] is seen[0]
    assert signals.post[0]["user"] is seen[0]
    assert signals.post[0]["reset_password_token"].user is seen[0]
    assert get_user_model()._default_manager.get(pk=user.pk).first_name == "Fresh"
