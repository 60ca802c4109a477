"""A token's owner by primary key, from the primary database, compiled once per connection.

The cache and Redis stores keep the owner's primary key in each entry and load the user on
every validate and confirm. Compiling ``filter(pk=...)`` costs more CPU than the database takes
to answer it, and more than the store's own Redis round trip, so :func:`find_user` compiles it
once per connection with Django's own compiler and reads the row as a QuerySet would, like
:mod:`resetkit.backends.orm_lookup` does for the ORM store. A query this shortcut does not
recognise (a default manager that filters, a Django that changed its compiler) falls back to the
plain QuerySet; ``tests/backends/test_private_apis.py`` notices the latter.

The user is read from the user model's *write* database: a password changed a moment ago
must be the one the token's fingerprint is compared with, not a replica's older copy.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections, router

__all__ = ["UserLookup", "find_user"]

_MISSING = object()


def find_user(pk: Any) -> Any | None:
    """The user whose primary key is ``pk``, read from the user model's write database."""
    model = get_user_model()
    using = router.db_for_write(model)
    connection = connections[using]
    prepared: dict[str, UserLookup | None] = connection.__dict__.setdefault(
        "_resetkit_user_lookups", {}
    )
    lookup = prepared.get(model._meta.label, _MISSING)
    if lookup is _MISSING:
        lookup = prepared[model._meta.label] = UserLookup.build(model, using, pk)
    if lookup is None:
        return model._default_manager.db_manager(using).filter(pk=pk).first()
    assert isinstance(lookup, UserLookup)
    return lookup.run(pk)


class UserLookup:
    """The compiled ``filter(pk=...)`` of one connection and user model."""

    def __init__(self, model: Any, compiler: Any, sql: str, using: str) -> None:
        self.model = model
        self.compiler = compiler
        self.sql = sql
        self.using = using
        select = compiler.select
        self.converters = compiler.get_converters([column[0] for column in select])
        self.fields = [column[0].target.attname for column in select]
        self.pk_field = model._meta.pk

    def parameter(self, pk: Any) -> Any:
        """``pk`` as the database driver receives it in the query's only parameter."""
        connection = connections[self.using]
        return self.pk_field.get_db_prep_value(
            self.pk_field.get_prep_value(pk), connection, prepared=True
        )

    @classmethod
    def build(cls, model: Any, using: str, sample_pk: Any) -> UserLookup | None:
        queryset = model._default_manager.db_manager(using).filter(pk=sample_pk)
        compiler = queryset.query.get_compiler(using)
        try:
            sql, params = compiler.as_sql()
            lookup = cls(model, compiler, sql, using)
            # Exactly one parameter, the pk as the plain query would send it: anything else
            # (a filtering default manager, a changed compiler) keeps the plain QuerySet.
            if list(params) != [lookup.parameter(sample_pk)]:
                return None
            if compiler.klass_info is None or compiler.klass_info["model"] is not model:
                return None
            return lookup
        except (EmptyResultSet, ValidationError, KeyError, ValueError, AttributeError, TypeError):
            return None

    def run(self, pk: Any) -> Any | None:
        with connections[self.using].cursor() as cursor:
            cursor.execute(self.sql, [self.parameter(pk)])
            rows = cursor.fetchmany(2)
        if len(rows) != 1:
            return None
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        return self.model.from_db(self.using, self.fields, rows[0])
