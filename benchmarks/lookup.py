"""Does the ORM store's compiled token lookup pay for the private Django API it uses?

``resetkit.backends.orm_lookup`` runs the token-and-user query from a compiler built once per
connection, instead of building and compiling ``select_related("user").filter(digest__in=...)``
on every validate and confirm. This script times both, side by side in one process, on an
in-memory SQLite database (the database's own work is the same for both, so it is the
smallest it can be here and the ratio the largest honest one)::

    python benchmarks/lookup.py [--rounds 7] [--calls 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script, too


def configure() -> None:
    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY="benchmark-only-secret-key-of-sufficient-length",
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "resetkit"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        USE_TZ=True,
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, run_syncdb=True)


def median_microseconds(call: Callable[[], object], rounds: int, calls: int) -> float:
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            call()
        samples.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args()
    configure()

    from django.contrib.auth import get_user_model

    from resetkit.backends.orm import ORMTokenStore
    from resetkit.backends.orm_lookup import find_tokens
    from resetkit.models import ResetPasswordToken

    user = get_user_model().objects.create_user("bench", "bench@example.com", "pw-123456789")
    store = ORMTokenStore()
    for n in range(200):
        store.create_token(user, f"key-{n:04d}")
    digests = store.lookup_digests("key-0100")

    def compiled() -> object:
        return find_tokens(ResetPasswordToken, "default", digests)

    def plain() -> object:
        rows = ResetPasswordToken._default_manager.select_related("user")
        return list(rows.filter(digest__in=digests))

    assert [t.pk for t in compiled()] == [t.pk for t in plain()]
    times = {
        name: median_microseconds(call, args.rounds, args.calls)
        for name, call in (("compiled lookup", compiled), ("plain QuerySet", plain))
    }
    print(f"median of {args.rounds} rounds of {args.calls} lookups, SQLite in memory")
    for name, micros in times.items():
        print(f"{name:16} {micros:8.1f} µs per lookup")
    print(f"plain / compiled: {times['plain QuerySet'] / times['compiled lookup']:.2f}")


if __name__ == "__main__":
    main()
