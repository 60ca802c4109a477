"""The private Django APIs the ORM store leans on, pinned: if a Django release changes them,
these fail loudly instead of the store quietly falling back to its slower path.

* ``TokenLookup`` (:mod:`resetkit.backends.orm_lookup`) compiles the token-and-user query once
  per connection with Django's compiler (``klass_info``, ``select``, ``get_converters``...);
  it pays on every validate and confirm (``tests/test_query_counts.py`` and
  ``make bench`` measure it). When those attributes change, ``build()`` returns ``None``.
* ``UserLookup`` (:mod:`resetkit.backends.user_lookup`) does the same for the owner of a
  cache or Redis store's token, loaded by primary key on every validate and confirm.
* ``QuerySet._raw_delete`` deletes without loading rows or sending delete signals: the
  portable fallbacks of consume-and-revoke and of cleanup use it.

Run on every supported database (``make test-services``).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection
from django.db.models import QuerySet

from resetkit.backends.orm import ORMTokenStore
from resetkit.backends.orm_lookup import TokenLookup
from resetkit.backends.orm_sql import can_delete_returning
from resetkit.backends.user_lookup import UserLookup, find_user
from resetkit.models import ResetPasswordToken
from tests.backends.raw import raw_row_digests

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("count", [1, 2, 3])
def test_the_compiled_lookup_builds_on_this_database(count: int) -> None:
    lookup = TokenLookup.build(ResetPasswordToken, DEFAULT_DB_ALIAS, count)
    assert lookup is not None, (
        "Django's compiler changed: TokenLookup.build() fell back to None; repair "
        "resetkit/backends/orm_lookup.py"
    )
    assert lookup.sql.count("%s") == count


def test_the_compiled_lookup_reads_what_the_queryset_reads(user: Any) -> None:
    store = ORMTokenStore()
    created = store.create_token(user, "k" * 32, ip_address="192.0.2.7", user_agent="UA")
    lookup = TokenLookup.build(ResetPasswordToken, DEFAULT_DB_ALIAS, 1)
    assert lookup is not None
    (found,) = lookup.run(connection, [created.digest])
    expected = ResetPasswordToken.objects.select_related("user").get(pk=created.pk)
    for field in ("pk", "digest", "created_at", "ip_address", "user_agent", "user_id"):
        assert getattr(found, field) == getattr(expected, field)
    assert found.user == user and found.user.email == user.email
    assert found._state.db == DEFAULT_DB_ALIAS and not found._state.adding


def test_raw_delete_exists_and_deletes_without_loading_rows(user: Any, make_user: Any) -> None:
    assert callable(getattr(QuerySet, "_raw_delete", None)), (
        "QuerySet._raw_delete is gone: repair resetkit/backends/orm_sql.py and orm.py"
    )
    store = ORMTokenStore()
    store.create_token(user, "a" * 32)
    store.create_token(user, "b" * 32)
    kept = store.create_token(make_user(), "c" * 32)
    deleted = ResetPasswordToken.objects.filter(user=user)._raw_delete(DEFAULT_DB_ALIAS)
    assert deleted == 2
    assert raw_row_digests() == {kept.digest}


def test_delete_returning_is_used_where_the_database_has_it() -> None:
    """SQLite >= 3.35, PostgreSQL and MariaDB run the one-statement forms; MySQL the fallback."""
    expected = not (connection.vendor == "mysql" and not connection.mysql_is_mariadb)
    assert can_delete_returning(connection) is expected


def test_the_compiled_user_lookup_builds_on_this_database(user: Any) -> None:
    lookup = UserLookup.build(type(user), DEFAULT_DB_ALIAS, user.pk)
    assert lookup is not None, (
        "Django's compiler changed: UserLookup.build() fell back to None; repair "
        "resetkit/backends/user_lookup.py"
    )
    assert lookup.sql.count("%s") == 1


def test_the_compiled_user_lookup_reads_the_user_as_the_orm_does(user: Any, make_user: Any) -> None:
    other = make_user(email="other@example.com")
    for wanted in (user, other, user):
        found = find_user(wanted.pk)
        expected = type(user)._default_manager.get(pk=wanted.pk)
        assert found is not None and found.pk == wanted.pk
        assert found.__dict__.keys() - {"_state"} == expected.__dict__.keys() - {"_state"}
        assert {k: v for k, v in found.__dict__.items() if k != "_state"} == {
            k: v for k, v in expected.__dict__.items() if k != "_state"
        }
        assert found._state.db == DEFAULT_DB_ALIAS and not found._state.adding


def test_the_compiled_user_lookup_finds_no_deleted_user(user: Any) -> None:
    pk = user.pk
    find_user(pk)  # compiled with this pk
    user.delete()
    assert find_user(pk) is None
