"""Burst test: does each limit resetkit ships hold when many requests arrive at once?

The demo project is served by gunicorn (``--workers`` processes of ``--threads`` threads,
gthread) on a scratch PostgreSQL database, with Django's default cache on Redis, so every
worker counts in one place; the limits are on as shipped (``BENCH_LIMITS=shipped``). For
each limit the script plays ``--rounds`` rounds. Each round starts from a clean slate (the
Redis keys of the run are deleted: throttles, budgets, attempt counters), opens ``--burst``
keep-alive connections, and releases one request on each at the same moment (a thread per
connection, one barrier). The client address is the last ``X-Forwarded-For`` entry
(``NUM_PROXIES = 1``), so one script on 127.0.0.1 speaks from one address or from many.

What is counted, per round (the table shows the largest count over the rounds):

1. request throttle, one client: answers other than 429 to ``POST /api/password_reset/`` (an
   unknown address, so no token is involved) from one IPv4 address; shipped: 3 a day;
2. validate throttle, one client: the same for ``validate_token/`` (30 an hour);
3. confirm throttle, one client: the same for ``confirm/`` (10 an hour);
4. account token budget: the burst asks for a reset of ONE existing account from ``--burst``
   different addresses (no throttle applies); counted are the tokens issued for it
   (``reset_password_token_created`` signals, logged by the server; the request endpoint
   issues before it answers here), against ``ACCOUNT_TOKEN_RATE`` (3 an hour);
5. wrong codes per account: a second server with a six-digit generator (short codes, checked
   against the account they come with). A code is issued for the account through the request
   endpoint (the server logs it); then ``--burst`` wrong codes for that account, from as many
   addresses, go to ``confirm/`` at once. The server's token store logs every lookup of a
   presented key and every revocation of the account's tokens, in the order they happen;
   counted are the lookups before the first revocation: the wrong codes evaluated while the
   real code was still alive. Afterwards the real code must fail to validate (revoked).
   Against ``CODE_ATTEMPT_LIMIT`` (5). Skipped, "n/a (not available)", when the server does
   not bind short codes to an account (a code validates without the e-mail, or not with it);
6. IPv6 /64 grouping: as 1, from ``--burst`` different addresses of one /64, which count as
   one client (``IPV6_PREFIX_LENGTH`` 64): at most 3 answers other than 429.

A limit passes when its count never exceeds the configured number in any round and no request
got a 5xx or no answer. The script prints a table (limit | configured | allowed | per round |
verdict) and exits 1 if any limit failed (0 with ``--report-only``), 2 if the set-up failed.
It talks to 127.0.0.1 only; its database (``<prefix>_attack``) and its Redis keys are removed
and its servers stopped however it ends.

    python benchmarks/attack.py                   # 10 rounds of 64
    python benchmarks/attack.py --rounds 3        # quicker
    python benchmarks/attack.py --report-only     # always exit 0
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import os
import secrets
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
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
    django_env,
    exit_on,
    exit_on_sigterm,
    free_port,
    gunicorn_argv,
    manage,
    post,
    wait_until_answering,
)

REQUEST_URL = "/api/password_reset/"
VALIDATE_URL = "/api/password_reset/validate_token/"
CONFIRM_URL = "/api/password_reset/confirm/"
EMAIL = "victim@example.com"
PASSWORD = "attack-old-Passw0rd"
UNKNOWN = "nobody@example.com"
NEW_PASSWORD = "attack-new-Passw0rd-42"
ONE_CLIENT = "198.51.100.7"

# key -> (label, configured)
LIMITS = {
    "request": ("request throttle, one client (3/day)", 3),
    "validate": ("validate throttle, one client (30/hour)", 30),
    "confirm": ("confirm throttle, one client (10/hour)", 10),
    "budget": ("account token budget, 64 clients (ACCOUNT_TOKEN_RATE 3/hour)", 3),
    "codes": ("wrong codes per account, 64 clients (CODE_ATTEMPT_LIMIT 5)", 5),
    "ipv6": ("IPv6 /64 as one client, request throttle (3/day)", 3),
}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="rounds per limit (10)")
    parser.add_argument("--burst", type=int, default=64, help="simultaneous requests (64)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--threads", type=int, default=16, help="threads per worker (16)")
    parser.add_argument(
        "--worker-class", default="gthread", choices=("gthread", "sync"), help="(gthread)"
    )
    parser.add_argument(
        "--limits",
        default=",".join(LIMITS),
        help=f"comma-separated, from {','.join(LIMITS)} (all)",
    )
    parser.add_argument(
        "--report-only", action="store_true", help="exit 0 even when a limit gives way"
    )
    parser.add_argument("--db-prefix", default=os.environ.get("BENCH_DB_PREFIX", "resetkit_bench"))
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15"),
        help="Redis database of the cache (only keys under the run's own prefix are touched)",
    )
    args = parser.parse_args(argv)
    args.limits = [name.strip() for name in args.limits.split(",") if name.strip()]
    unknown = sorted(set(args.limits) - set(LIMITS))
    if unknown:
        parser.error(f"unknown limits: {', '.join(unknown)}")
    if args.rounds < 1 or args.burst < 2:
        parser.error("--rounds must be at least 1 and --burst at least 2")
    return args


# -- results -----------------------------------------------------------------------------------


@dataclass
class Result:
    """What the rounds of one limit observed."""

    key: str
    allowed: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unavailable: str = ""

    @property
    def configured(self) -> int:
        return LIMITS[self.key][1]

    @property
    def verdict(self) -> str:
        if self.unavailable:
            return f"n/a ({self.unavailable})"
        if not self.allowed:
            return "FAIL (not measured)"
        if max(self.allowed) > self.configured:
            return "FAIL"
        if self.errors:
            return "FAIL (errors)"
        return "PASS"

    @property
    def failed(self) -> bool:
        return self.verdict.startswith("FAIL")


def print_table(results: list[Result], args: argparse.Namespace) -> None:
    rows = [("limit", "configured", "allowed (max)", "per round", "verdict")]
    for result in results:
        rows.append(
            (
                LIMITS[result.key][0],
                str(result.configured),
                str(max(result.allowed)) if result.allowed else "-",
                " ".join(map(str, result.allowed)) or "-",
                result.verdict,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    print(
        f"\n{args.burst} simultaneous requests per round, {args.rounds} rounds per limit; "
        f"gunicorn -w {args.workers} --threads {args.threads} -k {args.worker_class}, "
        "PostgreSQL, cache on Redis\n"
    )
    for number, row in enumerate(rows):
        print(" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            print("-+-".join("-" * width for width in widths))
    for result in results:
        for line in sorted(set(result.errors)) + result.notes:
            print(f"  {result.key}: {line}")


# -- the burst ---------------------------------------------------------------------------------


def burst(
    port: int, path: str, bodies: Sequence[bytes], addresses: Sequence[str]
) -> list[int | str]:
    """Open one connection per body, then send every request at the same moment.

    Returns each answer's status, or the name of the exception that stopped it.
    """
    count = len(bodies)
    barrier = threading.Barrier(count)
    results: list[int | str] = ["no answer"] * count

    def fire(i: int) -> None:
        conn = http.client.HTTPConnection(LOOPBACK, port, timeout=60)
        try:
            conn.connect()
            barrier.wait(timeout=60)
            conn.request(
                "POST",
                path,
                bodies[i],
                {"Content-Type": "application/json", "X-Forwarded-For": addresses[i]},
            )
            response = conn.getresponse()
            response.read()
            results[i] = int(response.status)
        except Exception as exc:  # reported in the table, never raised from a thread
            results[i] = type(exc).__name__
        finally:
            conn.close()

    threads = [threading.Thread(target=fire, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def post_from(port: int, path: str, body: dict[str, Any], address: str) -> int:
    status, _ = post(port, path, json.dumps(body).encode(), headers={"X-Forwarded-For": address})
    return status


def errors_of(statuses: Sequence[int | str]) -> list[str]:
    """5xx answers and requests that got no answer."""
    return [
        f"{status}" if isinstance(status, str) else f"HTTP {status}"
        for status in statuses
        if isinstance(status, str) or status >= 500
    ]


def not_throttled(statuses: Sequence[int | str]) -> int:
    return sum(
        1 for status in statuses if isinstance(status, int) and status < 500 and status != 429
    )


# -- one run -----------------------------------------------------------------------------------


class Run:
    """The scratch database, the Redis prefix, the event log, and the servers."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.db = Database("postgres", f"{args.db_prefix}_attack")
        self.events = workdir / "events.log"
        self.env = django_env(
            {
                **self.db.env(),
                "BENCH_REDIS_URL": args.redis_url,
                "BENCH_EXECUTOR": "inline",
                "BENCH_LIMITS": "shipped",
                "ATTACK_EVENT_LOG": str(self.events),
            }
        )
        self.user_pk: Any = None

    def clear_limits(self) -> None:
        """Forget every throttle, budget and attempt count (the run's Redis keys)."""
        delete_redis_keys(self.args.redis_url, self.db.name)

    def issued(self) -> list[tuple[str, str]]:
        """``(user pk, raw token)`` of each token issued since the log was last cleared."""
        return [
            (parts[1], parts[2])
            for parts in (line.split() for line in count_lines(self.events))
            if parts[0] == "issued"
        ]

    def serve(self, *, short_codes: bool) -> Any:
        env = dict(self.env, ATTACK_SHORT_CODES="1" if short_codes else "0")
        self.port = free_port()
        argv = gunicorn_argv(
            "benchmarks.server:attack_application()",
            self.port,
            workers=self.args.workers,
            threads=self.args.threads,
            worker_class=self.args.worker_class,
        )
        return background(argv, env=env, name="gunicorn-codes" if short_codes else "gunicorn")

    def warm_up(self) -> None:
        """A database connection in every server thread before the first burst."""
        count = self.args.burst
        burst(
            self.port,
            VALIDATE_URL,
            [b'{"token": "warm-up"}'] * count,
            [f"192.0.2.{i + 1}" for i in range(count)],
        )
        self.clear_limits()

    # -- the limits ----------------------------------------------------------------------------

    def one_client(self, key: str, path: str, body: dict[str, Any]) -> Result:
        result = Result(key)
        data = json.dumps(body).encode()
        for _ in range(self.args.rounds):
            self.clear_limits()
            statuses = burst(
                self.port, path, [data] * self.args.burst, [ONE_CLIENT] * self.args.burst
            )
            result.allowed.append(not_throttled(statuses))
            result.errors += errors_of(statuses)
        return result

    def ipv6(self) -> Result:
        result = Result("ipv6")
        data = json.dumps({"email": UNKNOWN}).encode()
        for number in range(self.args.rounds):
            self.clear_limits()
            # One /64 per round (2001:db8:<round>:64::/64), a random interface id per request.
            network = ipaddress.IPv6Network(f"2001:db8:{number + 1:x}:64::/64")
            addresses = [
                str(network[(secrets.randbits(48) << 16) | (i + 1)]) for i in range(self.args.burst)
            ]
            statuses = burst(self.port, REQUEST_URL, [data] * self.args.burst, addresses)
            result.allowed.append(not_throttled(statuses))
            result.errors += errors_of(statuses)
        return result

    def budget(self) -> Result:
        result = Result("budget")
        data = json.dumps({"email": EMAIL}).encode()
        for number in range(self.args.rounds):
            self.clear_limits()
            self.events.write_text("")
            addresses = [f"10.{number}.{i // 250}.{i % 250 + 1}" for i in range(self.args.burst)]
            statuses = burst(self.port, REQUEST_URL, [data] * self.args.burst, addresses)
            result.allowed.append(sum(pk == str(self.user_pk) for pk, _ in self.issued()))
            result.errors += errors_of(statuses)
            result.errors += [f"HTTP {s}" for s in statuses if isinstance(s, int) and s != 200]
        return result

    def new_code(self, address: str) -> str:
        """Ask for a reset of the account; return the code the server issued."""
        self.clear_limits()
        self.events.write_text("")
        status = post_from(self.port, REQUEST_URL, {"email": EMAIL}, address)
        issued = [key for pk, key in self.issued() if pk == str(self.user_pk)]
        if status != 200 or len(issued) != 1:
            raise BenchmarkError(f"asking for a code: HTTP {status}, {len(issued)} code(s) issued")
        return issued[0]

    def codes(self) -> Result:
        result = Result("codes")
        # Are short codes bound to the account? With the e-mail the code validates, without it
        # it must not.
        code = self.new_code("192.0.2.200")
        with_email = post_from(
            self.port, VALIDATE_URL, {"token": code, "email": EMAIL}, "192.0.2.201"
        )
        without = post_from(self.port, VALIDATE_URL, {"token": code}, "192.0.2.202")
        if with_email != 200 or without == 200:
            result.unavailable = "not available"
            result.notes.append(
                f"short codes are not bound to the account here (validate with the e-mail: "
                f"HTTP {with_email}, without: HTTP {without})"
            )
            return result
        for number in range(self.args.rounds):
            code = self.new_code(f"192.0.2.{210 + number % 40}")
            wrong = [
                c
                for c in (f"{n:06d}" for n in range(100000, 100000 + 2 * self.args.burst))
                if c != code
            ]
            bodies = [
                json.dumps({"email": EMAIL, "token": guess, "password": NEW_PASSWORD}).encode()
                for guess in wrong[: self.args.burst]
            ]
            addresses = [
                f"10.{100 + number}.{i // 250}.{i % 250 + 1}" for i in range(self.args.burst)
            ]
            self.events.write_text("")
            statuses = burst(self.port, CONFIRM_URL, bodies, addresses)
            lines = count_lines(self.events)
            revokes = [i for i, line in enumerate(lines) if line.startswith("revoke ")]
            lookups = [i for i, line in enumerate(lines) if line == "lookup"]
            evaluated = [i for i in lookups if not revokes or i < revokes[0]]
            result.allowed.append(len(evaluated))
            result.errors += errors_of(statuses)
            result.errors += [f"wrong code answered {s}" for s in statuses if s == 200]
            after = post_from(
                self.port, VALIDATE_URL, {"token": code, "email": EMAIL}, "192.0.2.250"
            )
            if after != 404:
                result.errors.append(
                    f"the real code still validates after the burst (HTTP {after})"
                )
            elif not revokes:
                result.notes.append(
                    f"round {number + 1}: the code died without a logged revocation; "
                    "every lookup is counted"
                )
        return result


def main() -> int:
    args = parse_args()
    exit_on_sigterm()
    workdir = tempfile.TemporaryDirectory(prefix="resetkit-attack-")
    run = Run(args, Path(workdir.name))
    os.environ.update(run.env)
    sys.path[:0] = [str(REPO), str(EXAMPLE)]
    results: dict[str, Result] = {}
    try:
        run.db.create()
        manage(run.env, "migrate", "--verbosity", "0")
        import django

        django.setup()
        from django.contrib.auth import get_user_model

        user = get_user_model()._default_manager.create_user(
            username="victim", email=EMAIL, password=PASSWORD
        )
        run.user_pk = user.pk

        plain: dict[str, Callable[[], Result]] = {
            "request": lambda: run.one_client("request", REQUEST_URL, {"email": UNKNOWN}),
            "validate": lambda: run.one_client(
                "validate", VALIDATE_URL, {"token": secrets.token_hex(32)}
            ),
            "confirm": lambda: run.one_client(
                "confirm", CONFIRM_URL, {"token": secrets.token_hex(32), "password": NEW_PASSWORD}
            ),
            "budget": run.budget,
            "ipv6": run.ipv6,
        }
        wanted = [key for key in plain if key in args.limits]
        if wanted:
            with run.serve(short_codes=False) as (_, log):
                wait_until_answering(run.port, VALIDATE_URL, b'{"token": "warm-up"}', log)
                run.warm_up()
                for key in wanted:
                    results[key] = plain[key]()
                    print(f"{key}: {results[key].allowed} -> {results[key].verdict}", flush=True)
        if "codes" in args.limits:
            with run.serve(short_codes=True) as (_, log):
                wait_until_answering(run.port, VALIDATE_URL, b'{"token": "warm-up"}', log)
                run.warm_up()
                results["codes"] = run.codes()
                print(
                    f"codes: {results['codes'].allowed} -> {results['codes'].verdict}", flush=True
                )
    except BenchmarkError as exc:
        exit_on(exc)
    finally:
        from django.db import connections

        connections.close_all()
        run.db.drop()
        run.clear_limits()
        workdir.cleanup()

    ordered = [results[key] for key in LIMITS if key in results]
    print_table(ordered, args)
    failed = [result.key for result in ordered if result.failed]
    if failed:
        print(
            f"\nFAILED: {', '.join(failed)} gave way"
            + (" (--report-only)" if args.report_only else "")
        )
        return 0 if args.report_only else 1
    print("\nevery limit held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
