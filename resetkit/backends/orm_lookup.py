"""The ORM store's token lookup, compiled once per connection.

The validate and confirm endpoints look a token up (with its user) on every request, and
compiling that QuerySet costs more than the database takes to answer it (``python
benchmarks/lookup.py``: 35 against 265 µs a lookup on SQLite, 7.7 times). :class:`TokenLookup`
compiles it once per connection and number of digests, with Django's own compiler, and reads
the rows as a QuerySet would. It leans on private compiler attributes (``klass_info``,
``select``, ``get_converters``...): if a Django release changes them, :meth:`TokenLookup.build`
returns ``None`` and the store uses the plain QuerySet, and
``tests/backends/test_private_apis.py`` fails loudly so that the shortcut is repaired.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

__all__ = ["TokenLookup", "find_tokens"]


def find_tokens(model: Any, using: str, digests: list[str]) -> list[Any]:
    """The tokens stored under ``digests`` on database ``using``, each with its user loaded.

    What ``select_related("user").filter(digest__in=digests)`` returns, without building and
    compiling that query on every call.
    """
    connection = connections[using]
    # Kept on the connection object (one per thread and alias), since a compiler belongs
    # to the connection it was built for; both go away together.
    prepared: dict[int, TokenLookup | None] = connection.__dict__.setdefault(
        "_resetkit_token_lookups", {}
    )
    lookup = prepared.get(len(digests))
    if lookup is None:
        lookup = prepared[len(digests)] = TokenLookup.build(model, using, len(digests))
    if lookup is None:  # a query this shortcut does not understand: the plain ORM
        queryset = model._default_manager.db_manager(using).select_related("user")
        return list(queryset.filter(digest__in=digests))
    return lookup.run(connection, digests)


class TokenLookup:
    """The compiled token-and-user query of one connection, and how to read its rows.

    Built from the very QuerySet it replaces, with Django's compiler; rows go through the
    compiler's converters and ``Model.from_db`` as a QuerySet's rows do.
    """

    def __init__(self, compiler: Any, sql: str, using: str) -> None:
        self.compiler = compiler
        self.sql = sql
        self.using = using
        select = compiler.select
        self.converters = compiler.get_converters([column[0] for column in select])
        token_info = compiler.klass_info
        (user_info,) = token_info["related_klass_infos"]
        self.token_model = token_info["model"]
        self.user_model = user_info["model"]
        self.token_columns = self._span(token_info["select_fields"])
        self.user_columns = self._span(user_info["select_fields"])
        self.token_fields = [column[0].target.attname for column in select[self.token_columns]]
        self.user_fields = [column[0].target.attname for column in select[self.user_columns]]
        self.attach = user_info["local_setter"]
        self.attach_back = user_info["remote_setter"]

    @staticmethod
    def _span(positions: list[int]) -> slice:
        if positions != list(range(positions[0], positions[-1] + 1)):
            raise ValueError("columns not contiguous")
        return slice(positions[0], positions[-1] + 1)

    @classmethod
    def build(cls, model: Any, using: str, count: int) -> TokenLookup | None:
        markers = [f"resetkit-digest-{n}" for n in range(count)]
        queryset = model._default_manager.db_manager(using).select_related("user")
        compiler = queryset.filter(digest__in=markers).query.get_compiler(using)
        try:
            sql, params = compiler.as_sql()
            if list(params) != markers:
                return None
            return cls(compiler, sql, using)
        except (EmptyResultSet, KeyError, ValueError, AttributeError, TypeError):
            return None

    def run(self, connection: BaseDatabaseWrapper, digests: list[str]) -> list[Any]:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, digests)
            rows = cursor.fetchall()
        if self.converters:
            rows = list(self.compiler.apply_converters(rows, self.converters))
        found = []
        for row in rows:
            token = self.token_model.from_db(self.using, self.token_fields, row[self.token_columns])
            user = self.user_model.from_db(self.using, self.user_fields, row[self.user_columns])
            self.attach(token, user)
            self.attach_back(user, token)
            found.append(token)
        return found
