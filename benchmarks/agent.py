"""Measurements taken inside one implementation's virtualenv, in-process.

``run.py`` (and ``stores.py``, ``nodes.py``) start this module with the implementation's
interpreter, the generated project on ``PYTHONPATH`` and ``BENCH_IMPL`` / ``BENCH_STORE`` /
``BENCH_DB_*`` set; it prints one JSON document on its last line. ``tokens`` issues the known
tokens a load test spends, through the configured store; ``memory`` measures what they take.
It never imports resetkit when measuring upstream, and the other way round, except through
:class:`Impl`, which hides the two models' differences (table, key column, how a token with a
known key is made).

Round trips are counted exactly on PostgreSQL: libpq's protocol trace (``PQtrace``) records
every message, and each exchange ends with the server's ``ReadyForQuery``, BEGIN and COMMIT
included. SQLite has no network; its count is statements plus a BEGIN and a COMMIT per
transaction. Redis commands are read from ``MONITOR``, filtered on the benchmark's database
(the commands a Lua script runs are counted apart: they cost no round trip); Redis round trips
are counted in the client, one per command (or pipeline) redis-py sends.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlparse

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from benchmarks.support import delete_redis_keys, email_for, key_for  # noqa: E402

IMPL = os.environ["BENCH_IMPL"]
STORE = os.environ.get("BENCH_STORE", "orm")
PASSWORD = "old-Passw0rd!"
NEW_PASSWORD = "brand-new-Passw0rd-42"
REQUEST = "/api/password_reset/"
VALIDATE = "/api/password_reset/validate_token/"
CONFIRM = "/api/password_reset/confirm/"
UA = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)


class Impl:
    """What differs between the two implementations, and nothing else."""

    def __init__(self) -> None:
        if IMPL == "resetkit":
            from resetkit.backends import get_token_store
            from resetkit.models import ResetPasswordToken

            self.store = get_token_store()
            self.model = ResetPasswordToken
            self.unique_column = "digest"
        else:
            from django_rest_passwordreset.models import ResetPasswordToken

            self.store = None
            self.model = ResetPasswordToken
            self.unique_column = "key"
        self.table = self.model._meta.db_table

    def create_token(self, user: Any, key: str) -> None:
        if self.store is not None:
            self.store.create_token(user, key, ip_address="127.0.0.1", user_agent=UA)
        else:
            self.model.objects.create(user=user, key=key, ip_address="127.0.0.1", user_agent=UA)

    def bulk_rows_sql(self, count: int, age: str, offset: int) -> str:
        """INSERT ... SELECT of ``count`` tokens ``age`` old, spread over the seeded users."""
        extra_columns = ", password_fingerprint" if IMPL == "resetkit" else ""
        extra_values = ", ''" if IMPL == "resetkit" else ""
        return (
            f"INSERT INTO {self.table} (user_id, created_at, {self.unique_column}, ip_address, "
            f"user_agent{extra_columns}) "
            f"SELECT u.first + (i % u.n), now() - interval '{age}' - i * interval '1 millisecond', "
            f"md5('row' || (i + {offset})) || md5('pad' || (i + {offset})), NULL, 'bench'"
            f"{extra_values} FROM generate_series(1, {count}) AS i, "
            f"(SELECT min(id) AS first, count(*) AS n FROM auth_user) AS u"
        )


# -- setup ----------------------------------------------------------------------------------------


def seed_users(count: int) -> None:
    """``count`` active users with one password (``user1@example.com`` ...), fast."""
    user_model = get_user_model()
    password = make_password(PASSWORD)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, "
                "email, is_staff, is_active, date_joined) SELECT %s, false, 'user' || i, '', '', "
                "'user' || i || '@example.com', false, true, now() "
                "FROM generate_series(1, %s) AS i",
                [password, count],
            )
            cursor.execute("ANALYZE auth_user")
        return
    user_model.objects.bulk_create(
        user_model(username=f"user{n}", email=email_for(n), password=password)
        for n in range(1, count + 1)
    )


def user_numbered(n: int) -> Any:
    return get_user_model().objects.get(username=f"user{n}")


def cmd_setup(args: argparse.Namespace) -> dict[str, Any]:
    call_command("migrate", verbosity=0)
    forget_cached_state()
    seed_users(args.users)
    impl = Impl()
    for n in range(1, args.tokens + 1):
        impl.create_token(user_numbered(n), key_for(n))
    if args.upper_index:
        create_upper_index()
    return {"users": args.users, "tokens": args.tokens}


def forget_cached_state() -> None:
    """Delete this site's keys from Redis: a new database numbers its users from 1 again, and
    an earlier run's entries (per-account budgets, cache-store tokens) would meet them."""
    cache_settings = settings.CACHES["default"]
    delete_redis_keys(cache_settings["LOCATION"], cache_settings.get("KEY_PREFIX", ""))


def create_upper_index() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE INDEX IF NOT EXISTS bench_auth_user_upper_email ON auth_user (UPPER(email))"
        )
        cursor.execute("ANALYZE auth_user")


def drop_upper_index() -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX IF EXISTS bench_auth_user_upper_email")


# -- counting -------------------------------------------------------------------------------------


class RedisMonitor:
    """Collect the commands Redis runs on the benchmark's database (``MONITOR``)."""

    def __init__(self) -> None:
        url = urlparse(settings.CACHES["default"]["LOCATION"])
        self.address = (url.hostname or "127.0.0.1", url.port or 6379)
        self.db = int((url.path or "/0").strip("/") or 0)
        self.commands: list[str] = []
        #: Commands run by server-side scripts (``[db lua]``): no round trip of their own.
        self.script_commands: list[str] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> RedisMonitor:
        cache.get("bench-warm-up")  # open the pooled connection before watching
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        if not self._ready.wait(5):
            raise RuntimeError("MONITOR did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        time.sleep(0.05)  # let the last lines arrive
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)

    def _watch(self) -> None:
        pattern = re.compile(rf'^\+[\d.]+ \[{self.db} ([^\]]+)\] "(\w+)"')
        with socket.create_connection(self.address, timeout=0.2) as sock:
            sock.sendall(b"MONITOR\r\n")
            buffer = b""
            while b"\r\n" not in buffer:
                buffer += sock.recv(4096)
            buffer = buffer.split(b"\r\n", 1)[1]
            self._ready.set()
            while not self._stop.is_set():
                try:
                    chunk = sock.recv(65536)
                except TimeoutError:
                    continue
                if not chunk:
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\r\n")
                for line in lines:
                    match = pattern.match(line.decode("utf-8", "replace"))
                    if not match:
                        continue
                    source, command = match.group(1), match.group(2).upper()
                    if source == "lua":
                        self.script_commands.append(command)
                    elif command not in {"SELECT", "CLIENT", "HELLO"}:
                        self.commands.append(command)


class RedisRoundTrips:
    """Count what redis-py sends, in this process: one send is one round trip (a command, a
    pipeline or a transaction), whichever client sends it (the cache's, a store's own)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def __enter__(self) -> RedisRoundTrips:
        from redis.connection import AbstractConnection

        real = AbstractConnection.send_packed_command

        def send_packed_command(conn: Any, *args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self.count += 1
            return real(conn, *args, **kwargs)

        self._real = real
        setattr(AbstractConnection, "send_packed_command", send_packed_command)  # noqa: B010
        return self

    def __exit__(self, *exc: object) -> None:
        from redis.connection import AbstractConnection

        setattr(AbstractConnection, "send_packed_command", self._real)  # noqa: B010


@contextmanager
def counted() -> Iterator[dict[str, Any]]:
    """Statements, transactions, round trips and Redis commands of the enclosed block."""
    result: dict[str, Any] = {}
    transactions = [0]
    real_commit, real_rollback = connection.commit, connection.rollback

    def commit() -> None:
        transactions[0] += 1
        real_commit()

    def rollback() -> None:
        transactions[0] += 1
        real_rollback()

    connection.ensure_connection()
    trace = None
    if connection.vendor == "postgresql":
        trace = tempfile.NamedTemporaryFile("w+", suffix=".pqtrace")  # noqa: SIM115
        from psycopg import pq

        pgconn = connection.connection.pgconn
        pgconn.trace(trace.fileno())
        pgconn.set_trace_flags(pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE)
    connection.commit, connection.rollback = commit, rollback
    try:
        with (
            RedisMonitor() as monitor,
            RedisRoundTrips() as trips,
            CaptureQueriesContext(connection) as queries,
        ):
            yield result
    finally:
        del connection.commit, connection.rollback
        if trace is not None:
            connection.connection.pgconn.untrace()
    control = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
    statements = [q["sql"] for q in queries.captured_queries]
    result["statements"] = len(statements)
    result["transactions"] = transactions[0]
    result["savepoints"] = sum(1 for sql in statements if sql.upper().startswith("SAVEPOINT"))
    if trace is not None:
        trace.seek(0)
        # Each exchange with the server ends with its ReadyForQuery message.
        ready = re.compile(r"^B\t\d+\tReadyForQuery\b")
        result["round_trips"] = sum(1 for line in trace if ready.match(line))
        trace.close()
    else:
        work = [sql for sql in statements if not control.match(sql)]
        result["round_trips"] = len(work) + 2 * transactions[0] + 2 * result["savepoints"]
    result["redis"] = len(monitor.commands)
    result["redis_commands"] = dict(Counter(monitor.commands))
    result["redis_round_trips"] = trips.count
    result["redis_script_commands"] = len(monitor.script_commands)


def post(client: Client, url: str, body: dict[str, str]) -> int:
    response = client.post(url, body, content_type="application/json", HTTP_USER_AGENT=UA)
    return int(response.status_code)


def reset_state(impl: Impl) -> Any:
    """No tokens, no throttle history; alice with her old password and one known token."""
    impl.model.objects.all().delete()
    cache.clear()
    user_model = get_user_model()
    alice, _ = user_model.objects.get_or_create(
        username="alice", defaults={"email": "alice@example.com"}
    )
    alice.set_password(PASSWORD)
    alice.save()
    return alice


def cmd_queries(args: argparse.Namespace) -> dict[str, Any]:
    call_command("migrate", verbosity=0)
    impl = Impl()
    client = Client()
    cases: dict[str, tuple[str, dict[str, str], int, bool]] = {
        "request existing": (REQUEST, {"email": "alice@example.com"}, 200, False),
        "request unknown": (REQUEST, {"email": "nobody@example.com"}, 200, False),
        "validate valid": (VALIDATE, {"token": key_for(0)}, 200, True),
        "validate unknown": (VALIDATE, {"token": key_for(-1)}, 404, True),
        "confirm valid": (CONFIRM, {"token": key_for(0), "password": NEW_PASSWORD}, 200, True),
        "confirm unknown": (CONFIRM, {"token": key_for(-1), "password": NEW_PASSWORD}, 404, True),
    }
    if args.cases:
        unknown = set(args.cases.split(",")) - set(cases)
        if unknown:
            raise SystemExit(f"unknown case(s): {', '.join(sorted(unknown))}")
        cases = {name: case for name, case in cases.items() if name in args.cases.split(",")}
    results = {}
    # Each case twice, counting the second: whatever is paid once per process (a server-side
    # script loaded after a NOSCRIPT, a first import) stays out of the counts.
    for name, (url, body, expected, needs_token) in [*cases.items(), *cases.items()]:
        alice = reset_state(impl)
        if needs_token:
            impl.create_token(alice, key_for(0))
        post(client, REQUEST, {"email": "warm-up@example.com"})  # imports, caches, connection
        with counted() as numbers:
            status = post(client, url, body)
        if status != expected:
            raise RuntimeError(f"{IMPL}/{STORE} {name}: HTTP {status}, expected {expected}")
        results[name] = numbers
    return results


# -- latency --------------------------------------------------------------------------------------


class Requests:
    """Times request-endpoint calls for distinct existing accounts (no token reused)."""

    def __init__(self, start: int = 1) -> None:
        self.client = Client()
        self.next_user = start

    def one(self) -> float:
        email = email_for(self.next_user)
        self.next_user += 1
        started = time.perf_counter()
        status = post(self.client, REQUEST, {"email": email})
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise RuntimeError(f"request answered {status}")
        return elapsed

    def many(self, count: int) -> list[float]:
        return [self.one() for _ in range(count)]


def load_rows(impl: Impl, count: int, age: str, offset: int = 0, chunk: int = 500_000) -> None:
    with connection.cursor() as cursor:
        for start in range(0, count, chunk):
            size = min(chunk, count - start)
            cursor.execute(impl.bulk_rows_sql(size, age, offset + start))


def vacuum(impl: Impl) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {impl.table}")
        # Write the load's pages out now, so that a checkpoint it made due does not land in
        # whichever measurement runs next.
        cursor.execute("CHECKPOINT")


def truncate(impl: Impl) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {impl.table}")


def cmd_backlog(args: argparse.Namespace) -> dict[str, Any]:
    """Request latency (its deferred work included): empty table, then a backlog, alternating.

    Each repetition times requests on an empty table, loads ``--rows`` expired tokens, and
    times requests again; its slowdown is the ratio of the two medians. upstream's first
    request deletes the whole backlog, so only that one meets it; resetkit removes 25 rows
    per request, so every request of the phase meets it (after one, which pays for the
    statistics the load just changed, as upstream's does).
    """
    impl = Impl()
    requests = Requests()
    truncate(impl)
    vacuum(impl)
    requests.many(20)  # warm up: imports, connections, caches
    empty_all, backlog_all, first_all, slowdowns = [], [], [], []
    for _ in range(args.reps):
        truncate(impl)
        vacuum(impl)
        requests.one()
        empty = requests.many(args.requests)
        load_rows(impl, args.rows, "48 hours")
        vacuum(impl)
        first = requests.one()
        backlog = [first] if IMPL == "upstream" else requests.many(args.requests)
        empty_all += empty
        backlog_all += backlog
        first_all.append(first)
        slowdowns.append(statistics.median(backlog) / statistics.median(empty))
    result: dict[str, Any] = {
        "rows": args.rows,
        "empty_ms": statistics.median(empty_all),
        "backlog_ms": statistics.median(backlog_all),
        "first_ms": statistics.median(first_all),
        "slowdown": statistics.median(slowdowns),
        "slowdowns": slowdowns,
        "expired_left": impl.model.objects.filter(user_agent="bench").count(),
    }
    if IMPL == "resetkit":
        result["plan"] = explain_cleanup()
    return result


def explain_cleanup() -> str:
    """EXPLAIN the exact DELETE the request path sends (captured, then explained unexecuted)."""
    from resetkit.backends.orm import ORMTokenStore

    with CaptureQueriesContext(connection) as queries:
        ORMTokenStore().clear_expired(limit=25)
    statement = next(q["sql"] for q in queries.captured_queries if "DELETE" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (COSTS OFF) " + statement)
        return "\n".join(row[0] for row in cursor.fetchall())


def cmd_lookup(args: argparse.Namespace) -> dict[str, Any]:
    """Request latency at ``--users`` accounts, without and with an index on UPPER(email)."""
    impl = Impl()
    truncate(impl)
    drop_upper_index()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE auth_user")
    requests = Requests(start=args.users // 2)
    requests.many(3)
    without = requests.many(args.requests)
    check_before = lookup_check_ids()
    create_upper_index()
    requests.many(3)
    with_index = requests.many(args.requests)
    return {
        "users": get_user_model().objects.count(),
        "without_index_ms": statistics.median(without),
        "with_index_ms": statistics.median(with_index),
        "check_without_index": check_before,
        "check_with_index": lookup_check_ids(),
    }


def lookup_check_ids() -> list[str]:
    if IMPL != "resetkit":
        return []
    from resetkit.checks import check_lookup_index

    return [message.id for message in check_lookup_index(databases=["default"])]


def cmd_load(args: argparse.Namespace) -> dict[str, Any]:
    """The cleanup benchmark's table: ``--expired`` expired and ``--fresh`` fresh tokens."""
    impl = Impl()
    truncate(impl)
    load_rows(impl, args.expired, "48 hours")
    load_rows(impl, args.fresh, "1 hour", offset=args.expired)
    vacuum(impl)
    return {"expired": args.expired, "fresh": args.fresh}


def cmd_count(args: argparse.Namespace) -> dict[str, Any]:
    impl = Impl()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM {impl.table} WHERE created_at >= now() - interval '24 hours'"
        )
        fresh = cursor.fetchone()[0]
        cursor.execute(f"SELECT count(*) FROM {impl.table}")
        total = cursor.fetchone()[0]
    return {"fresh": fresh, "total": total}


# -- Redis ----------------------------------------------------------------------------------------


def cmd_redis_memory(args: argparse.Namespace) -> dict[str, Any]:
    """MEMORY USAGE of one outstanding token (and of the user's revocation stamp)."""
    import redis

    from resetkit.backends.cache import CacheTokenStore

    call_command("migrate", verbosity=0)
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    store = CacheTokenStore()
    results = {}
    agents = {"no user agent": "", "curl/8.5.0": "curl/8.5.0", f"browser ({len(UA)} chars)": UA}
    for label, agent in agents.items():
        cache.clear()
        alice = reset_state(Impl())
        token = store.create_token(alice, key_for(0), ip_address="203.0.113.7", user_agent=agent)
        token_key = cache.make_key(store.token_cache_key(token.digest))
        stamp_key = cache.make_key(store.user_cache_key(alice.pk))
        results[label] = {
            "token_bytes": client.memory_usage(token_key, samples=0),
            "stamp_bytes": client.memory_usage(stamp_key, samples=0),
            "key_length": len(token_key),
        }
    cache.clear()
    return results


def cmd_tokens(args: argparse.Namespace) -> dict[str, Any]:
    """A token with the known key of each user ``--first`` .. ``--first + --count - 1``: the
    tokens a load test validates or confirms, made through the configured store."""
    from django.db import transaction

    impl = Impl()
    users = get_user_model().objects.filter(
        username__in=[f"user{n}" for n in range(args.first, args.first + args.count)]
    )
    by_name = {user.username: user for user in users}
    if len(by_name) != args.count:
        raise RuntimeError(f"{args.count - len(by_name)} of those users do not exist")
    with transaction.atomic():  # one commit, not one per row (the ORM stores)
        for n in range(args.first, args.first + args.count):
            impl.create_token(by_name[f"user{n}"], key_for(n))
    return {"first": args.first, "count": args.count}


def redis_key_sizes(client: Any) -> dict[bytes, int]:
    """``{key: MEMORY USAGE}`` of every key in the client's database."""
    keys = list(client.scan_iter(count=1000))
    sizes: dict[bytes, int | None] = {}
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        pipe = client.pipeline(transaction=False)
        for key in chunk:
            pipe.memory_usage(key, samples=0)
        sizes.update(zip(chunk, pipe.execute(), strict=True))
    return {key: int(size) for key, size in sizes.items() if size is not None}


def cmd_memory(args: argparse.Namespace) -> dict[str, Any]:
    """What ``--count`` outstanding tokens (users ``--first`` ...) take, through the configured
    store: the Redis keys they add (the sum of their MEMORY USAGE, and the instance's
    ``used_memory`` delta, which other clients of a shared server disturb) and, on
    PostgreSQL, the token table's growth. The Redis database must hold nothing else that
    grows meanwhile."""
    import redis

    impl = Impl()
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    before_keys = redis_key_sizes(client)
    before_used = int(client.info("memory")["used_memory"])
    before_table = table_bytes(impl)
    cmd_tokens(args)
    after_used = int(client.info("memory")["used_memory"])
    after_keys = redis_key_sizes(client)
    after_table = table_bytes(impl)
    client.close()
    new = {key: size for key, size in after_keys.items() if key not in before_keys}
    grown = sum(size - before_keys[key] for key, size in after_keys.items() if key in before_keys)
    # By kind: the key without its last part (a digest, a user's pk).
    kinds: Counter[str] = Counter()
    for key, size in new.items():
        kinds[key.decode("utf-8", "replace").rpartition(":")[0] or "(other)"] += size
    return {
        "tokens": args.count,
        "redis_keys_per_token": len(new) / args.count,
        "redis_bytes_per_token": (sum(new.values()) + grown) / args.count,
        "redis_used_memory_per_token": (after_used - before_used) / args.count,
        "redis_bytes_per_token_by_kind": {
            kind: size / args.count for kind, size in sorted(kinds.items())
        },
        "table_bytes_per_token": (
            None
            if before_table is None or after_table is None
            else (after_table - before_table) / args.count
        ),
    }


def table_bytes(impl: Impl) -> int | None:
    """The token table's size with its indexes and TOAST (PostgreSQL only)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_total_relation_size(%s)", [impl.table])
        return int(cursor.fetchone()[0])


COMMANDS: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "setup": cmd_setup,
    "queries": cmd_queries,
    "backlog": cmd_backlog,
    "lookup": cmd_lookup,
    "load": cmd_load,
    "count": cmd_count,
    "redis-memory": cmd_redis_memory,
    "tokens": cmd_tokens,
    "memory": cmd_memory,
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--tokens", type=int, default=0)
    parser.add_argument("--upper-index", action="store_true")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--expired", type=int, default=100_000)
    parser.add_argument("--fresh", type=int, default=10_000)
    parser.add_argument("--first", type=int, default=1, help="tokens, memory: the first user")
    parser.add_argument("--count", type=int, default=1000, help="tokens, memory: how many")
    parser.add_argument("--cases", default="", help="queries: comma-separated cases (all)")
    args = parser.parse_args()
    result = COMMANDS[args.command](args)
    sys.stdout.write("\n" + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
