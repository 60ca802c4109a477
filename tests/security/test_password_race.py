"""A reset never overwrites a password changed while it was in flight (compare-and-set).

The token carries a fingerprint of the password it was issued under. It is checked when the
token is read and again, under a lock on the user's row, just before the password is written:
a password the owner changed in between makes the reset answer the generic 404 and send no
signal.

The deterministic tests change the password between the token read and the write (from the
``check_password`` hook, which runs between them) and fail on every database without the
second check. The concurrency test races a real owner's change, on its own connection,
against the endpoint; on PostgreSQL and MariaDB the row lock is what it exercises.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from rest_framework.test import APIClient

from resetkit.backends import get_token_store
from resetkit.views import ResetPasswordConfirm
from tests.conftest import resetkit_overrides

CONFIRM_URL = "/api/password_reset/confirm/"
VALIDATE_URL = "/api/password_reset/validate_token/"
OLD_PASSWORD = "old-Passw0rd!"
RESET_PASSWORD = "reset-by-link-Passw0rd"
OWNER_PASSWORD = "owner-chose-Passw0rd"
KEY = "7e" * 16


@pytest.fixture(autouse=True)
def _no_endpoint_throttles() -> Any:
    """These tests send many confirms from one address; throttling is tested elsewhere."""
    with resetkit_overrides(CONFIRM_THROTTLE_CLASSES=[], VALIDATE_THROTTLE_CLASSES=[]):
        yield


def users() -> Any:
    return get_user_model()._default_manager


def owner_changes_password(pk: Any, password: str) -> None:
    """What the owner does elsewhere (a profile page, the admin): load, set, save."""
    with transaction.atomic():
        owner_copy = users().get(pk=pk)
        owner_copy.set_password(password)
        owner_copy.save()


def confirm(client: Any, key: str = KEY, password: str = RESET_PASSWORD) -> Any:
    return client.post(CONFIRM_URL, {"token": key, "password": password}, format="json")


def between_read_and_write(monkeypatch: pytest.MonkeyPatch, action: Any) -> None:
    """Run ``action(user)`` once, after the confirm read the token and before it writes."""
    real = ResetPasswordConfirm.check_password

    def check_password(self: Any, password: str, user: Any) -> None:
        real(self, password, user)
        action(user)

    monkeypatch.setattr(ResetPasswordConfirm, "check_password", check_password)


@pytest.mark.django_db
def test_password_changed_after_the_token_was_read_is_kept(
    store_kind, api_client, user, signals, monkeypatch
) -> None:
    get_token_store().create_token(user, KEY)
    between_read_and_write(monkeypatch, lambda u: owner_changes_password(u.pk, OWNER_PASSWORD))

    response = confirm(api_client)

    assert response.status_code == 404
    assert response.json() == confirm(APIClient(), key="nope" * 8).json()
    assert users().get(pk=user.pk).check_password(OWNER_PASSWORD)
    assert signals.pre == [] and signals.post == []
    monkeypatch.undo()
    # The token died with the password it was issued under.
    assert api_client.post(VALIDATE_URL, {"token": KEY}, format="json").status_code == 404
    assert confirm(api_client).status_code == 404
    assert users().get(pk=user.pk).check_password(OWNER_PASSWORD)


@pytest.mark.django_db
def test_password_changed_by_update_after_the_token_was_read_is_kept(
    store_kind, api_client, user, signals, monkeypatch
) -> None:
    """A change that never loads the user (``QuerySet.update``, a migration script)."""
    from django.contrib.auth.hashers import make_password

    get_token_store().create_token(user, KEY)
    between_read_and_write(
        monkeypatch,
        lambda u: users().filter(pk=u.pk).update(password=make_password(OWNER_PASSWORD)),
    )
    assert confirm(api_client).status_code == 404
    assert users().get(pk=user.pk).check_password(OWNER_PASSWORD)
    assert signals.pre == [] and signals.post == []


@pytest.mark.django_db
def test_account_deactivated_after_the_token_was_read(
    store_kind, api_client, user, signals, monkeypatch
) -> None:
    """Eligibility is checked again on the locked row; the token is kept, as for any
    ineligible user, and works once the account is active again."""
    get_token_store().create_token(user, KEY)
    between_read_and_write(monkeypatch, lambda u: users().filter(pk=u.pk).update(is_active=False))
    assert confirm(api_client).status_code == 404
    assert users().get(pk=user.pk).check_password(OLD_PASSWORD)
    assert signals.pre == []
    monkeypatch.undo()
    users().filter(pk=user.pk).update(is_active=True)
    assert confirm(api_client).status_code == 200
    assert users().get(pk=user.pk).check_password(RESET_PASSWORD)


@pytest.mark.django_db
def test_user_deleted_after_the_token_was_read(
    store_kind, api_client, user, signals, monkeypatch
) -> None:
    get_token_store().create_token(user, KEY)
    between_read_and_write(monkeypatch, lambda u: users().filter(pk=u.pk).delete())
    assert confirm(api_client).status_code == 404
    assert signals.pre == [] and signals.post == []


@pytest.mark.django_db
def test_other_fields_changed_meanwhile_do_not_stop_the_reset(
    store_kind, api_client, user, signals, monkeypatch
) -> None:
    """Only the password is compared: a new last_login or name does not void the token, and
    the reset writes only the password column."""
    get_token_store().create_token(user, KEY)
    between_read_and_write(
        monkeypatch, lambda u: users().filter(pk=u.pk).update(first_name="Renamed")
    )
    assert confirm(api_client).status_code == 200
    fresh = users().get(pk=user.pk)
    assert fresh.check_password(RESET_PASSWORD)
    assert fresh.first_name == "Renamed"
    assert len(signals.pre) == len(signals.post) == 1


# -- the real race ---------------------------------------------------------------------------

TRIALS = 30


def race_once(reset: Any, owner: Any) -> Any:
    """Run ``reset()`` and ``owner()`` in two threads released together, the owner after a
    random pause; return what ``reset()`` returned, or re-raise what either raised."""
    barrier = threading.Barrier(2)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run(work: Any, pause: float) -> None:
        try:
            barrier.wait(timeout=30)
            time.sleep(pause)
            results.append(work())
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(reset, 0.0), daemon=True),
        threading.Thread(target=run, args=(owner, random.uniform(0, 0.008)), daemon=True),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]
    return next(result for result in results if result is not None)


@pytest.mark.concurrency
@pytest.mark.django_db(transaction=True)
def test_owner_changing_the_password_during_a_reset_is_never_overwritten(
    store_kind, user, signals, monkeypatch
) -> None:
    """The owner's change and a reset race, each on its own connection, ``TRIALS`` times.

    Whichever order they land in, the owner's password is the one left: if the owner's
    change committed before the reset wrote, the reset must answer the generic 404 and send
    no signal; if the reset went first, the owner's later change replaces it.
    """
    real = ResetPasswordConfirm.check_password

    def check_password(self: Any, password: str, user: Any) -> None:
        # The window between reading the token and writing: long enough for the owner's
        # change to land inside it in many trials, and before or after it in others.
        real(self, password, user)
        time.sleep(random.uniform(0, 0.006))

    monkeypatch.setattr(ResetPasswordConfirm, "check_password", check_password)
    store = get_token_store()
    outcomes = {200: 0, 404: 0}

    for trial in range(TRIALS):
        users().filter(pk=user.pk).update(password=user.password)  # back to OLD_PASSWORD
        key = store.create_token(user, f"{trial:032x}").key
        owner_password = f"owner-{trial:02d}-Passw0rd"
        pre_before, post_before = len(signals.pre), len(signals.post)

        status = race_once(
            lambda key=key: confirm(APIClient(), key).status_code,
            lambda password=owner_password: owner_changes_password(user.pk, password),
        )

        assert status in (200, 404), f"trial {trial}: {status}"
        outcomes[status] += 1
        assert users().get(pk=user.pk).check_password(owner_password), (
            f"trial {trial}: the reset (answered {status}) overwrote the owner's new password"
        )
        sent = (len(signals.pre) - pre_before, len(signals.post) - post_before)
        assert sent == ((1, 1) if status == 200 else (0, 0)), f"trial {trial}: signals {sent}"
        store.revoke_user_tokens(user)

    assert sum(outcomes.values()) == TRIALS


@pytest.mark.django_db
def test_sqlite_in_deferred_mode_takes_the_write_lock_first(user, monkeypatch) -> None:
    """SQLite has no row locks: in its default (DEFERRED) mode the reset's transaction would
    only queue at its first write, after it read the row; a write that changes nothing makes
    it queue before. In IMMEDIATE or EXCLUSIVE mode BEGIN took that lock already."""
    from django.db import connections
    from django.test.utils import CaptureQueriesContext

    connection = connections["default"]
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only; other databases lock the row with SELECT ... FOR UPDATE")
    view = ResetPasswordConfirm()
    for mode, writes in ((None, 1), ("DEFERRED", 1), ("IMMEDIATE", 0), ("EXCLUSIVE", 0)):
        monkeypatch.setattr(connection, "transaction_mode", mode, raising=False)
        with CaptureQueriesContext(connection) as captured, transaction.atomic():
            fresh = view.lock_user(user, "default")
        assert fresh == user and fresh is not user
        updates = [q["sql"] for q in captured if q["sql"].upper().startswith("UPDATE")]
        assert len(updates) == writes, (mode, updates)
