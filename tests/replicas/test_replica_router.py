"""Behind a router that reads from a replica, a reset works the moment the token is issued.

``RESETKIT_TEST_REPLICA=1`` (``tests/settings.py``) adds a second real database, ``replica``,
and :class:`tests.replicas.routers.PrimaryReplicaRouter`, which sends every read there and every
write to ``default``. The replica holds what a test copies to it (the users, at set-up) and
never the tokens written later: a replica that lags. Runs on SQLite (two files) and, with
``RESETKIT_TEST_DB=postgres``, on two PostgreSQL databases.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connections
from django.urls import reverse

from resetkit.backends import DuplicateTokenError
from resetkit.backends.orm import ORMTokenStore
from resetkit.locking import reset_transaction
from resetkit.models import ResetPasswordToken
from tests.conftest import resetkit_overrides
from tests.replicas.routers import PRIMARY, REPLICA

pytestmark = [
    pytest.mark.skipif(
        not getattr(settings, "REPLICA", False),
        reason="needs the replica database: RESETKIT_TEST_REPLICA=1 (make test-replicas)",
    ),
    pytest.mark.django_db(databases=[PRIMARY, REPLICA]),
]

REQUEST_URL = reverse("password_reset:reset-password-request")
VALIDATE_URL = reverse("password_reset:reset-password-validate")
CONFIRM_URL = reverse("password_reset:reset-password-confirm")
NEW_PASSWORD = "a-new-Passw0rd-for-replicas"
ORM_STORE = "resetkit.backends.orm.ORMTokenStore"
SIX_DIGITS = {
    "CLASS": "resetkit.generators.RandomNumberTokenGenerator",
    "OPTIONS": {"min_number": 100000, "max_number": 999999},
}


def copy_to_replica(*objects: Any) -> None:
    """What replication would have brought over by now: these rows, as they are."""
    for obj in objects:
        type(obj)._base_manager.using(REPLICA).bulk_create([copy.copy(obj)])


def on(alias: str, model: Any) -> Any:
    return model._base_manager.using(alias)


@pytest.fixture(autouse=True)
def _orm_store_unthrottled() -> Iterator[None]:
    with resetkit_overrides(
        TOKEN_STORE=ORM_STORE, VALIDATE_THROTTLE_CLASSES=[], CONFIRM_THROTTLE_CLASSES=[]
    ):
        yield


@pytest.fixture
def replicated_user(make_user: Any) -> Any:
    """A user on the primary, already replicated."""
    user = make_user(email="alice@example.com", username="alice")
    copy_to_replica(user)
    return user


def request_token(api_client: Any, signals: Any, email: str = "alice@example.com") -> str:
    response = api_client.post(REQUEST_URL, {"email": email}, format="json")
    assert response.status_code == 200, response.content
    assert signals.keys, "no token was issued"
    return str(signals.keys[-1])


def test_the_router_reads_from_the_lagging_replica(replicated_user: Any) -> None:
    """The set-up itself: reads go to the replica, which has the user and no token."""
    user_model = get_user_model()
    assert user_model._default_manager.filter(pk=replicated_user.pk).exists()
    ORMTokenStore().create_token(replicated_user, "f" * 32)
    assert ResetPasswordToken.objects.count() == 0  # routed to the replica
    assert on(PRIMARY, ResetPasswordToken).count() == 1
    assert connections[REPLICA].settings_dict["NAME"] != connections[PRIMARY].settings_dict["NAME"]


def test_request_validate_confirm_succeed_at_once(
    api_client: Any, signals: Any, replicated_user: Any
) -> None:
    key = request_token(api_client, signals)
    assert not on(REPLICA, ResetPasswordToken).exists()  # the replica lags

    validated = api_client.post(VALIDATE_URL, {"token": key}, format="json")
    assert validated.status_code == 200, validated.content
    confirmed = api_client.post(
        CONFIRM_URL, {"token": key, "password": NEW_PASSWORD}, format="json"
    )
    assert confirmed.status_code == 200, confirmed.content

    assert on(PRIMARY, get_user_model()).get(pk=replicated_user.pk).check_password(NEW_PASSWORD)
    assert not on(PRIMARY, ResetPasswordToken).exists()
    assert len(signals.post) == 1


def test_a_spent_token_is_refused_at_once(
    api_client: Any, signals: Any, replicated_user: Any
) -> None:
    """The replica still has the token (it lags behind the confirm): validate and confirm
    read the primary, where it is gone."""
    key = request_token(api_client, signals)
    copy_to_replica(*on(PRIMARY, ResetPasswordToken).all())
    body = {"token": key, "password": NEW_PASSWORD}
    assert api_client.post(CONFIRM_URL, body, format="json").status_code == 200
    assert on(REPLICA, ResetPasswordToken).exists()
    assert api_client.post(VALIDATE_URL, {"token": key}, format="json").status_code == 404
    again = {"token": key, "password": "yet-another-Passw0rd"}
    assert api_client.post(CONFIRM_URL, again, format="json").status_code == 404


def test_a_user_created_a_moment_ago_gets_a_token(
    api_client: Any, signals: Any, make_user: Any
) -> None:
    """Accounts are looked up on the primary: one the replica has not seen yet is found."""
    user = make_user(email="new@example.com")
    assert not on(REPLICA, get_user_model()).filter(pk=user.pk).exists()
    key = request_token(api_client, signals, "new@example.com")
    body = {"token": key, "password": NEW_PASSWORD}
    assert api_client.post(CONFIRM_URL, body, format="json").status_code == 200


def test_a_password_changed_a_moment_ago_is_the_one_the_token_is_issued_under(
    api_client: Any, signals: Any, replicated_user: Any
) -> None:
    """The token records the password read on the primary: the replica's stale copy would
    make a token that dies at the confirm."""
    replicated_user.set_password("changed-Passw0rd-just-now")
    replicated_user.save(using=PRIMARY)
    key = request_token(api_client, signals)
    body = {"token": key, "password": NEW_PASSWORD}
    assert api_client.post(CONFIRM_URL, body, format="json").status_code == 200


def test_a_key_outstanding_on_the_primary_is_a_duplicate(make_user: Any) -> None:
    """Issuing checks for an outstanding key on the primary, not the lagging replica."""
    owner, other = make_user(email="o@example.com"), make_user(email="p@example.com")
    copy_to_replica(owner, other)
    store = ORMTokenStore()
    store.create_token(owner, "contested-key")
    with pytest.raises(DuplicateTokenError):
        store.create_token(other, "contested-key")


def test_revoking_reaches_the_primary(replicated_user: Any) -> None:
    store = ORMTokenStore()
    token = store.create_token(replicated_user, "revoked-key")
    store.revoke_user_tokens(replicated_user)
    assert store.get_token(token.key) is None
    assert not on(PRIMARY, ResetPasswordToken).exists()


# -- validate_reads_from_replica: the trade-off, shown ------------------------------------------


@pytest.fixture
def validate_on_replica() -> Iterator[None]:
    store = {"CLASS": ORM_STORE, "OPTIONS": {"validate_reads_from_replica": True}}
    with resetkit_overrides(TOKEN_STORE=store):
        yield


@pytest.mark.usefixtures("validate_on_replica")
def test_validate_may_read_the_replica_and_then_lags(
    api_client: Any, signals: Any, replicated_user: Any
) -> None:
    """With the option, validate asks the replica: a token issued a moment ago is a 404 there
    until replication catches up. The confirm reads the primary and succeeds regardless."""
    key = request_token(api_client, signals)
    assert api_client.post(VALIDATE_URL, {"token": key}, format="json").status_code == 404
    copy_to_replica(*on(PRIMARY, ResetPasswordToken).all())  # replication catches up
    assert api_client.post(VALIDATE_URL, {"token": key}, format="json").status_code == 200

    on(REPLICA, ResetPasswordToken).all().delete()  # lagging again, for the confirm
    body = {"token": key, "password": NEW_PASSWORD}
    assert api_client.post(CONFIRM_URL, body, format="json").status_code == 200
    assert on(PRIMARY, get_user_model()).get(pk=replicated_user.pk).check_password(NEW_PASSWORD)


@pytest.mark.parametrize("code_only", [False, True], ids=["bound-to-account", "code-only"])
def test_short_codes_are_validated_on_the_primary_even_so(
    api_client: Any, signals: Any, replicated_user: Any, code_only: bool
) -> None:
    """A 404 from the replica would cost one of the code's few attempts: codes read fresh."""
    with resetkit_overrides(
        TOKEN_STORE={"CLASS": ORM_STORE, "OPTIONS": {"validate_reads_from_replica": True}},
        TOKEN_GENERATOR=SIX_DIGITS,
        CODE_ONLY_LOOKUP=code_only,
        VALIDATE_THROTTLE_CLASSES=[],
        CONFIRM_THROTTLE_CLASSES=[],
    ):
        code = request_token(api_client, signals)
        body = {"token": code} if code_only else {"token": code, "email": "alice@example.com"}
        assert api_client.post(VALIDATE_URL, body, format="json").status_code == 200


def test_the_option_must_be_a_boolean() -> None:
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured, match="validate_reads_from_replica"):
        ORMTokenStore(validate_reads_from_replica="yes")  # type: ignore[arg-type]


# -- a store on another database than the users ---------------------------------------------


class StoreElsewhere:
    """A store whose rows live in the replica's database, seen by the reset's transaction."""

    def database_alias(self) -> str:
        return REPLICA


def test_a_reset_spans_the_store_database_too(make_user: Any) -> None:
    """When the store writes to another database than the users, the reset opens a block on
    each: a failure undoes the writes made on both."""
    user = make_user(email="two@example.com")
    copy_to_replica(user)
    user_model = get_user_model()
    with pytest.raises(IntegrityError), reset_transaction(PRIMARY, StoreElsewhere()):
        assert connections[PRIMARY].in_atomic_block and connections[REPLICA].in_atomic_block
        on(PRIMARY, user_model).filter(pk=user.pk).update(first_name="changed")
        on(REPLICA, user_model).filter(pk=user.pk).update(first_name="changed")
        raise IntegrityError("a failure in the reset")
    assert on(PRIMARY, user_model).get(pk=user.pk).first_name == ""
    assert on(REPLICA, user_model).get(pk=user.pk).first_name == ""


def test_a_store_on_the_users_database_opens_one_block(make_user: Any) -> None:
    depth = len(connections[PRIMARY].savepoint_ids)
    with reset_transaction(PRIMARY, ORMTokenStore()):
        assert len(connections[PRIMARY].savepoint_ids) == depth + 1
