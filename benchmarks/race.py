"""Single use under concurrency, against a real server: many confirms with one token at once.

For each scenario -- the ORM store on PostgreSQL, the cache store on Redis, and with
``--mariadb`` the ORM store on MariaDB -- the script creates a scratch database, serves the
demo project under gunicorn (``-w 4 --threads 8`` by default: 32 requests handled at once)
and plays rounds. Each round issues a token for a test account straight through the token
store (what the request endpoint does before e-mailing it), then fires ``--confirms``
simultaneous confirms with that token, each with its own new password, from threads that one
barrier releases together. A round passes when:

* exactly one confirm answers 200 and every other one 404;
* the account's password is the winner's, and no longer the old one;
* ``pre_password_reset`` and ``post_password_reset`` were each sent once (counted by
  receivers in the server processes, see ``benchmarks.server.counting_application``);
* the token is gone from the store.

It prints one row per round and exits 1 if any round failed, 2 if the set-up failed. It
talks to 127.0.0.1 only, and stops its servers and drops its databases however it ends.

    python benchmarks/race.py              # PostgreSQL (ORM store) and Redis (cache store)
    python benchmarks/race.py --mariadb    # and MariaDB (needs mysqlclient)
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script, too

from benchmarks.support import (
    EXAMPLE,
    LOOPBACK,
    REPO,
    BenchmarkError,
    Database,
    background,
    count_lines,
    delete_redis_keys,
    die_with_parent,
    django_env,
    exit_on,
    exit_on_sigterm,
    free_port,
    gunicorn_argv,
    manage,
    post,
    wait_until_answering,
)

CONFIRM_URL = "/api/password_reset/confirm/"
VALIDATE_URL = "/api/password_reset/validate_token/"
OLD_PASSWORD = "race-old-Passw0rd"

# scenario -> (database, token store)
SCENARIOS = {
    "orm-postgres": ("postgres", "orm"),
    "cache-redis": ("postgres", "cache"),
    "orm-mariadb": ("mariadb", "orm"),
}

HEADER = (
    f"{'scenario':<13} {'round':>5} {'200':>4} {'404':>4} {'other':>5} {'pre':>4} {'post':>4} "
    f"{'password':>9} {'in flight':>9} {'last answer':>11}  result"
)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds per scenario (10)")
    parser.add_argument("--confirms", type=int, default=32, help="confirms per round (32)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--threads", type=int, default=8, help="threads per worker (8)")
    parser.add_argument("--mariadb", action="store_true", help="also run on MariaDB")
    parser.add_argument(
        "--db-prefix",
        default=os.environ.get("BENCH_DB_PREFIX", "resetkit_bench"),
        help="prefix of the scratch database names (resetkit_bench)",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
        help="Redis database for the cache (only keys under the run's own prefix are touched)",
    )
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main() -> int:
    args = parse_args()
    exit_on_sigterm()
    if args.scenario:
        try:
            return run_scenario(args)
        except BenchmarkError as exc:
            exit_on(exc)
    # One process per scenario: each configures Django for its own database.
    scenarios = ["orm-postgres", "cache-redis"] + (["orm-mariadb"] if args.mariadb else [])
    print(f"{args.confirms} simultaneous confirms with one token, {args.rounds} rounds each;")
    print(f"gunicorn -w {args.workers} --threads {args.threads}, on {LOOPBACK}\n")
    print(HEADER)
    worst = 0
    for name in scenarios:
        child = [sys.executable, __file__, "--scenario", name, *sys.argv[1:]]
        proc = subprocess.Popen(child, preexec_fn=die_with_parent)
        try:
            code = proc.wait(timeout=1800)
        except subprocess.TimeoutExpired:
            print(f"{name}: no result after 30 minutes, stopped", flush=True)
            proc.terminate()
            code = proc.wait(timeout=60) or 1
        finally:
            if proc.poll() is None:  # interrupted: let the child clean up
                proc.terminate()
                proc.wait(timeout=60)
        worst = max(worst, code if code >= 0 else 1)  # < 0: killed by a signal
    print("\nall rounds passed" if worst == 0 else "\nFAILED: see the rows above")
    return worst


# -- one scenario, in its own process -------------------------------------------------------------


@dataclass
class Round:
    """What one round observed."""

    statuses: list[int | str] = field(default_factory=list)
    pre: int = 0
    post: int = 0
    password_ok: bool = False
    token_gone: bool = False
    in_flight: bool = False
    seconds: float = 0.0

    @property
    def problems(self) -> list[str]:
        found = []
        if self.statuses.count(200) != 1:
            found.append(f"{self.statuses.count(200)} x 200")
        others = [s for s in self.statuses if s not in (200, 404)]
        if others:
            found.append(f"other answers: {', '.join(map(str, sorted(set(others), key=str)))}")
        if (self.pre, self.post) != (1, 1):
            found.append(f"signals pre={self.pre} post={self.post}")
        if not self.password_ok:
            found.append("password is not the winner's")
        if not self.token_gone:
            found.append("token still in the store")
        return found


def run_scenario(args: argparse.Namespace) -> int:
    db_kind, store_kind = SCENARIOS[args.scenario]
    db = Database(db_kind, f"{args.db_prefix}_race_{args.scenario.replace('-', '_')}")
    workdir = tempfile.TemporaryDirectory(prefix="resetkit-race-")
    signal_log = Path(workdir.name) / "signals.log"
    env = django_env(
        {
            **db.env(),
            "BENCH_REDIS_URL": args.redis_url,
            "BENCH_TOKEN_STORE": store_kind,
            "BENCH_SIGNAL_LOG": str(signal_log),
        }
    )
    os.environ.update(env)
    sys.path[:0] = [str(REPO), str(EXAMPLE)]
    db.create()
    try:
        manage(env, "migrate", "--verbosity", "0")
        import django

        django.setup()
        port = free_port()
        argv = gunicorn_argv(
            "benchmarks.server:counting_application()",
            port,
            workers=args.workers,
            threads=args.threads,
        )
        with background(argv, env=env, name="gunicorn") as (_, log):
            wait_until_answering(port, VALIDATE_URL, b'{"token": "warm-up"}', log)
            warm_up(port, args.confirms)
            return play(args, port, signal_log)
    finally:
        from django.db import connections

        connections.close_all()
        db.drop()
        delete_redis_keys(args.redis_url, db.name)
        workdir.cleanup()


def warm_up(port: int, count: int) -> None:
    """Open a database connection in every server thread before the first race."""
    body = b'{"token": "warm-up"}'
    threads = [
        threading.Thread(target=lambda: _post_quietly(port, VALIDATE_URL, body))
        for _ in range(count)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def _post_quietly(port: int, path: str, body: bytes) -> None:
    with contextlib.suppress(OSError):
        post(port, path, body)


def play(args: argparse.Namespace, port: int, signal_log: Path) -> int:
    from django.contrib.auth import get_user_model

    from resetkit.backends import get_token_store

    user = get_user_model()._default_manager.create_user(
        username="race", email="race@example.com", password=OLD_PASSWORD
    )
    store = get_token_store()
    current = OLD_PASSWORD
    failed = 0
    for number in range(1, args.rounds + 1):
        observed, current = race_once(args.confirms, port, signal_log, user, store, current)
        problems = observed.problems
        failed += bool(problems)
        print(format_row(args.scenario, number, observed, problems), flush=True)
    total = args.rounds * args.confirms
    print(
        f"{args.scenario}: {args.rounds - failed}/{args.rounds} rounds passed ({total} confirms)\n",
        flush=True,
    )
    return 1 if failed else 0


def race_once(
    confirms: int, port: int, signal_log: Path, user: Any, store: Any, current: str
) -> tuple[Round, str]:
    """Issue a token, fire the confirms together, and look at what happened."""
    from resetkit.generators import get_token_generator

    key = store.create_token(user, get_token_generator().generate_token()).key
    signal_log.write_text("")
    passwords = [f"race-{secrets.token_hex(6)}-Passw0rd" for _ in range(confirms)]
    bodies = [json.dumps({"token": key, "password": p}).encode() for p in passwords]
    results: list[tuple[int | str, float, float]] = [("no answer", 0.0, 0.0)] * confirms
    barrier = threading.Barrier(confirms)

    def fire(i: int) -> None:
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=120)
        try:
            conn.connect()
            barrier.wait(timeout=60)
            sent = time.perf_counter()
            conn.request("POST", CONFIRM_URL, bodies[i], {"Content-Type": "application/json"})
            response = response_of(conn)
            results[i] = (response, sent, time.perf_counter())
        except Exception as exc:  # reported in the row, never raised from a thread
            results[i] = (type(exc).__name__, 0.0, 0.0)
        finally:
            conn.close()

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(confirms)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    observed = Round(statuses=[status for status, _, _ in results])
    lines = count_lines(signal_log)
    observed.pre = sum(line.startswith("pre ") for line in lines)
    observed.post = sum(line.startswith("post ") for line in lines)
    winners = [i for i, status in enumerate(observed.statuses) if status == 200]
    user.refresh_from_db()
    if len(winners) == 1:
        winner = passwords[winners[0]]
        observed.password_ok = user.check_password(winner) and not user.check_password(current)
        current = winner
    observed.token_gone = store.get_token(key) is None
    sent = [s for _, s, _ in results if s]
    answered = [a for _, _, a in results if a]
    if sent and answered:
        observed.in_flight = max(sent) < min(answered)
        observed.seconds = max(answered) - min(sent)
    return observed, current


def response_of(conn: Any) -> int:
    response = conn.getresponse()
    response.read()
    return int(response.status)


def format_row(scenario: str, number: int, observed: Round, problems: list[str]) -> str:
    statuses = observed.statuses
    other = len(statuses) - statuses.count(200) - statuses.count(404)
    return (
        f"{scenario:<13} {number:>5} {statuses.count(200):>4} {statuses.count(404):>4} "
        f"{other:>5} {observed.pre:>4} {observed.post:>4} "
        f"{'winner' if observed.password_ok else 'WRONG':>9} "
        f"{'all' if observed.in_flight else 'some':>9} {observed.seconds * 1000:>9.0f}ms  "
        f"{'ok' if not problems else 'FAILED: ' + '; '.join(problems)}"
    )


if __name__ == "__main__":
    sys.exit(main())
