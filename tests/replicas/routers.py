"""The router of the replica tests (``RESETKIT_TEST_REPLICA=1``): every read goes to
``replica``, every write to ``default``, as a project with a read replica routes them."""

from __future__ import annotations

from typing import Any

PRIMARY = "default"
REPLICA = "replica"


class PrimaryReplicaRouter:
    """Reads from the replica, writes to the primary; both hold every table."""

    def db_for_read(self, model: type, **hints: Any) -> str:
        return REPLICA

    def db_for_write(self, model: type, **hints: Any) -> str:
        return PRIMARY

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # One set of rows, seen from two databases.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return True
