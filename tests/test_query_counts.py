"""How many database round trips each endpoint costs: a guard against regressions.

Counted in autocommit, as in production (``transaction=True``: no test transaction around the
request, so no savepoint hides or adds a round trip). A round trip is a statement the test
captures, plus a BEGIN and a COMMIT for each transaction, which no cursor executes and
``CaptureQueriesContext`` cannot see. The request endpoint works in ``response.close()``,
which the test client calls before it returns, so capturing around the call sees that work.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import password_validation
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from resetkit.backends import get_token_store

pytestmark = pytest.mark.django_db(transaction=True)

REQUEST_URL = reverse("password_reset:reset-password-request")
VALIDATE_URL = reverse("password_reset:reset-password-validate")
CONFIRM_URL = reverse("password_reset:reset-password-confirm")
KEY = "6b" * 16
UNKNOWN_KEY = "7c" * 16
NEW_PASSWORD = "brand-new-Passw0rd"
TRANSACTION_CONTROL = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK)\b", re.IGNORECASE)


@dataclass
class RoundTrips:
    statements: list[str] = field(default_factory=list)
    transactions: int = 0

    @property
    def total(self) -> int:
        # SQLite in IMMEDIATE mode sends its BEGIN and COMMIT through a cursor: not twice.
        work = [sql for sql in self.statements if not TRANSACTION_CONTROL.match(sql)]
        return len(work) + 2 * self.transactions


@contextmanager
def round_trips() -> Iterator[RoundTrips]:
    """Capture statements, and count transactions by their COMMIT or ROLLBACK."""
    counted = RoundTrips()
    wrapper = connections[DEFAULT_DB_ALIAS]

    def counting(real: Any) -> Any:
        def end() -> None:
            counted.transactions += 1
            real()

        return end

    wrapper.commit = counting(wrapper.commit)
    wrapper.rollback = counting(wrapper.rollback)
    try:
        with CaptureQueriesContext(wrapper) as captured:
            yield counted
    finally:
        del wrapper.commit, wrapper.rollback
    counted.statements = [query["sql"] for query in captured.captured_queries]


def post(api_client: Any, url: str, body: dict[str, str]) -> int:
    response = api_client.post(url, body, format="json", HTTP_USER_AGENT="UA/1")
    return int(response.status_code)


# (endpoint, body, expected status) -> round trips on the ORM store and on the cache store.
CASES = {
    "request existing": (REQUEST_URL, {"email": "alice@example.com"}, 200),
    "request unknown": (REQUEST_URL, {"email": "nobody@example.com"}, 200),
    "validate valid": (VALIDATE_URL, {"token": KEY}, 200),
    "validate unknown": (VALIDATE_URL, {"token": UNKNOWN_KEY}, 404),
    "confirm valid": (CONFIRM_URL, {"token": KEY, "password": NEW_PASSWORD}, 200),
    "confirm unknown": (CONFIRM_URL, {"token": UNKNOWN_KEY, "password": NEW_PASSWORD}, 404),
}
EXPECTED = {
    # ORM: one DELETE of at most 25 expired rows, the user SELECT, the token INSERT (no
    # savepoint, no transaction).
    ("orm", "request existing"): 3,
    ("orm", "request unknown"): 2,
    # The token SELECT brings its user along: eligibility costs nothing more.
    ("orm", "validate valid"): 1,
    ("orm", "validate unknown"): 1,
    # SELECT; BEGIN, SELECT user FOR UPDATE (compare-and-set on the password), UPDATE
    # password, DELETE ... RETURNING (consume + revoke), COMMIT.
    ("orm", "confirm valid"): 6,
    ("orm", "confirm unknown"): 1,
    # Cache: the tokens live in the cache; the database sees the user lookups and the UPDATE.
    ("cache", "request existing"): 1,
    ("cache", "request unknown"): 1,
    ("cache", "validate valid"): 1,
    ("cache", "validate unknown"): 0,
    ("cache", "confirm valid"): 5,
    ("cache", "confirm unknown"): 0,
}
# The native Redis store: the same database work as the cache store.
EXPECTED.update({("redis", case): EXPECTED["cache", case] for case in CASES})


@pytest.mark.parametrize("case", list(CASES))
def test_round_trips_per_endpoint(case: str, store_kind: str, api_client: Any, user: Any) -> None:
    url, body, status = CASES[case]
    get_token_store().create_token(user, KEY)
    with round_trips() as counted:
        assert post(api_client, url, body) == status
    assert counted.total == EXPECTED[store_kind, case], counted


@pytest.mark.parametrize("case", list(CASES))
def test_query_counts_per_endpoint(
    case: str, store_kind: str, api_client: Any, user: Any, django_assert_max_num_queries: Any
) -> None:
    """The same budget through pytest-django's own counter, which sees statements only (and
    SQLite's BEGIN and COMMIT, which go through a cursor): an upper bound."""
    url, body, status = CASES[case]
    get_token_store().create_token(user, KEY)
    with django_assert_max_num_queries(EXPECTED[store_kind, case]):
        assert post(api_client, url, body) == status


def test_request_cost_does_not_grow_with_the_expired_backlog(
    api_client: Any, user: Any, make_user: Any, clock: Any
) -> None:
    """A backlog of expired tokens costs the same single DELETE as none."""
    store = get_token_store()
    for n in range(250):
        store.create_token(make_user(), f"{n:032x}")
    clock.shift(timedelta(hours=25))
    for _ in range(3):
        with round_trips() as counted:
            assert post(api_client, REQUEST_URL, {"email": "alice@example.com"}) == 200
        assert counted.total == EXPECTED["orm", "request existing"], counted


def test_a_savepoint_is_taken_only_inside_an_outer_transaction(user: Any) -> None:
    from django.db import transaction

    store = get_token_store()
    with round_trips() as counted:
        store.create_token(user, KEY)
    assert counted.total == 1 and "SAVEPOINT" not in " ".join(counted.statements)
    with round_trips() as counted, transaction.atomic():
        store.create_token(user, UNKNOWN_KEY)
    # The savepoint keeps the outer transaction usable if the unique index refuses the key.
    assert any(sql.startswith("SAVEPOINT") for sql in counted.statements)


def test_confirm_updates_only_the_password_column(api_client: Any, user: Any) -> None:
    get_token_store().create_token(user, KEY)
    with round_trips() as counted:
        assert post(api_client, CONFIRM_URL, {"token": KEY, "password": NEW_PASSWORD}) == 200
    updates = [sql for sql in counted.statements if sql.upper().startswith("UPDATE")]
    assert len(updates) == 1
    assignments = re.search(r"\bSET\b(.*)\bWHERE\b", updates[0], re.IGNORECASE | re.DOTALL)
    assert assignments is not None
    assert assignments.group(1).count("=") == 1 and "password" in assignments.group(1)


def test_confirm_uses_the_cached_password_validators(
    store_kind: str, api_client: Any, user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Building the validators reads the common-passwords file: once per process, not per
    confirm (django-rest-passwordreset builds them on every call)."""
    cached = password_validation.get_default_password_validators()
    assert cached, "the suite configures AUTH_PASSWORD_VALIDATORS"

    def build(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("password validators built again during a confirm")

    monkeypatch.setattr(password_validation, "get_password_validators", build)
    get_token_store().create_token(user, KEY)
    weak = post(api_client, CONFIRM_URL, {"token": KEY, "password": "password"})
    assert weak == 400  # the cached validators ran
    assert post(api_client, CONFIRM_URL, {"token": KEY, "password": NEW_PASSWORD}) == 200


# -- consume-and-revoke and cleanup, on the one-statement path and on the portable fallback ------


@pytest.fixture(params=["one statement", "fallback"])
def orm_store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The ORM store as this database runs it, and as one without DELETE ... RETURNING."""
    from resetkit.backends import orm

    if request.param == "fallback":
        monkeypatch.setattr(orm, "_can_delete_returning", lambda connection: False)
    return orm.ORMTokenStore()


def digests_left() -> set[str]:
    from resetkit.models import ResetPasswordToken

    return set(ResetPasswordToken.objects.values_list("digest", flat=True))


def test_consume_and_revoke_takes_every_token_of_that_user_only(
    orm_store: Any, user: Any, make_user: Any
) -> None:
    from django.db import transaction

    other = orm_store.create_token(make_user(), "0a" * 16)
    for key in ("01" * 16, "02" * 16):
        orm_store.create_token(user, key)
    token = orm_store.get_token("01" * 16)
    with transaction.atomic():
        assert orm_store.consume_and_revoke(token) is True
    assert digests_left() == {other.digest}
    assert orm_store.consume_and_revoke(token) is False  # outside a transaction too


@pytest.mark.parametrize("in_transaction", [False, True], ids=["autocommit", "atomic"])
def test_a_lost_consume_revokes_nothing(orm_store: Any, user: Any, in_transaction: bool) -> None:
    """A token gone since it was read (expired and cleared, say) must not cost the user the
    tokens issued after it: the revocation is rolled back."""
    from django.db import transaction

    from resetkit.models import ResetPasswordToken

    token = orm_store.get_token(orm_store.create_token(user, "01" * 16).key)
    newer = orm_store.create_token(user, "02" * 16)
    ResetPasswordToken.objects.filter(pk=token.pk).delete()
    if in_transaction:
        with transaction.atomic():
            assert orm_store.consume_and_revoke(token) is False
    else:
        assert orm_store.consume_and_revoke(token) is False
    assert digests_left() == {newer.digest}


def test_batches_resume_where_the_last_ended_and_keep_fresh_tokens(
    orm_store: Any, user: Any, clock: Any
) -> None:
    for n in range(7):
        orm_store.create_token(user, f"{n:032x}")
        clock.shift(timedelta(seconds=1))
    clock.shift(timedelta(hours=24))
    fresh = orm_store.create_token(user, KEY)
    assert list(orm_store.clear_expired_in_batches(3)) == [3, 3, 1]
    assert digests_left() == {fresh.digest}
    assert orm_store.clear_expired(limit=100) == 0


def test_bulk_cleanup_loads_no_rows_for_delete_receivers(
    orm_store: Any, user: Any, clock: Any
) -> None:
    """With a post_delete receiver, QuerySet.delete() would fetch every row to send it; the
    cleanup's raw DELETE sends no signal, whatever is connected."""
    from django.db.models.signals import post_delete

    from resetkit.models import ResetPasswordToken

    for n in range(5):
        orm_store.create_token(user, f"{n:032x}")
    clock.shift(timedelta(hours=25))
    seen: list[Any] = []

    def receiver(**kwargs: Any) -> None:
        seen.append(kwargs["instance"])

    post_delete.connect(receiver, sender=ResetPasswordToken, dispatch_uid="count-deletes")
    try:
        with CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as captured:
            assert orm_store.clear_expired(limit=100) == 5
    finally:
        post_delete.disconnect(dispatch_uid="count-deletes")
    assert seen == []
    work = [q["sql"] for q in captured.captured_queries if not TRANSACTION_CONTROL.match(q["sql"])]
    assert len(work) <= 2  # one DELETE; two statements on the fallback


@pytest.mark.parametrize("compiled", [True, False], ids=["compiled once", "plain ORM"])
def test_token_lookup_is_one_query_with_the_user(
    compiled: bool, user: Any, monkeypatch: pytest.MonkeyPatch, django_assert_num_queries: Any
) -> None:
    """The lookup compiled once per connection, and the plain QuerySet it falls back to."""
    from resetkit.backends import orm

    wrapper = connections[DEFAULT_DB_ALIAS]
    wrapper.__dict__.pop("_resetkit_token_lookups", None)
    if not compiled:
        monkeypatch.setattr(orm._TokenLookup, "build", classmethod(lambda cls, *args: None))
    store = orm.ORMTokenStore()
    created = store.create_token(user, KEY, ip_address="192.0.2.1", user_agent="UA/1")
    try:
        for _ in range(2):  # built on the first call, reused on the second
            with django_assert_num_queries(1):
                found = store.get_token(KEY)
                assert found is not None and found.pk == created.pk
                assert found.user.email == "alice@example.com" and found.user_agent == "UA/1"
                assert found.created_at == created.created_at and found.key == KEY
    finally:
        wrapper.__dict__.pop("_resetkit_token_lookups", None)
