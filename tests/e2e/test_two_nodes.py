"""Two web nodes behind one load balancer, sharing PostgreSQL and Redis, each with its own task
worker: what one node issues or counts, the other sees.

Each node is a gunicorn (two workers, four threads each) on a port of its own and a
``db_worker`` on the ``resets`` queue, started as separate process groups. They share a scratch
PostgreSQL database (tokens, accounts, the task table) and one Redis cache
(``RESETKIT_E2E_LIMITS=shipped``: the throttles and the account budget as shipped, keys under a
prefix of this run in ``RESETKIT_E2E_REDIS_URL``). The test plays the load balancer: it sends
each request to one node or the other, with the client's address in ``X-Forwarded-For``
(``NUM_PROXIES = 1``). The workers e-mail the links to one SMTP sink.
"""

from __future__ import annotations

import dataclasses
import secrets
import threading
from typing import Any

import pytest

from benchmarks.support import free_port, gunicorn_argv
from tests.e2e.conftest import (
    USERS,
    Site,
    StoredTask,
    can_log_in,
    cleanup_stack,
    create_users,
    redis_keys_cleared,
    require_services,
    scratch_database,
    site_environment,
    smtp_sink,
    started,
    wait_until_serving,
    worker_argv,
)

REQUEST = "/api/password_reset/"
VALIDATE = "/api/password_reset/validate_token/"
CONFIRM = "/api/password_reset/confirm/"
OK = (200, {"status": "OK"})
BACKEND = "nodes"
NODES = ("a", "b")
#: The shipped limits these tests count against.
REQUEST_THROTTLE = 3  # a day, per client
ACCOUNT_BUDGET = 3  # new tokens an hour, per account
#: Simultaneous confirms of one token.
RACERS = 32
#: Seconds the SMTP sink takes to accept each e-mail: a worker busy sending one leaves the
#: next task to the other worker, so both workers issue tokens for one account.
SMTP_DELAY = 0.5


def client(address: str) -> dict[str, str]:
    """The header the load balancer adds: the client's address."""
    return {"X-Forwarded-For": address}


@pytest.fixture(scope="module")
def nodes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Site, ...]:
    """Node A and node B, each a gunicorn and a db_worker, on one database and one cache."""
    require_services(BACKEND)
    stack = cleanup_stack(request)

    workdir = tmp_path_factory.mktemp(f"e2e-{BACKEND}")
    db_name = stack.enter_context(scratch_database(BACKEND))
    cache_prefix = f"resetkit-e2e-{secrets.token_hex(4)}"
    stack.enter_context(redis_keys_cleared(cache_prefix, rq=False))
    sink, smtp_port = stack.enter_context(smtp_sink(delay=SMTP_DELAY))
    env = site_environment(
        "database", db_name, smtp_port, cache_prefix, RESETKIT_E2E_LIMITS="shipped"
    )
    shared = Site(backend="database", db_name=db_name, env=env, sink=sink, workdir=workdir)
    shared.manage("migrate", "--no-input", "--verbosity", "0")
    create_users(shared)

    started_nodes = []
    for name in NODES:
        node = dataclasses.replace(
            shared, backend=f"node {name}", port=free_port(), processes=[],
            worker_name=f"e2e-node-{name}-{secrets.token_hex(4)}",
        )  # fmt: skip
        gunicorn = gunicorn_argv(
            "django.core.wsgi:get_wsgi_application()", node.port, workers=2, threads=4
        )
        node.processes.append(
            stack.enter_context(
                started(gunicorn, env={**env, "RESETKIT_E2E_ROLE": "web"},
                        log=workdir / f"gunicorn-{name}.log", name=f"gunicorn {name}")
            )
        )  # fmt: skip
        node.processes.append(
            stack.enter_context(
                started(worker_argv("database", node.worker_name),
                        env={**env, "RESETKIT_E2E_ROLE": "worker"},
                        log=workdir / f"worker-{name}.log", name=f"db_worker {name}")
            )
        )  # fmt: skip
        started_nodes.append(node)
    for node in started_nodes:
        wait_until_serving(node)
    return tuple(started_nodes)


def tasks_for(site: Site, address: str) -> list[StoredTask]:
    return [task for task in site.stored_tasks() if task.payload["lookup_value"] == address]


def all_finished(site: Site, address: str, count: int) -> list[StoredTask]:
    """The ``count`` tasks of ``address``, once every one has finished."""
    return site.wait_for(
        f"{count} tasks for {address} finishing",
        lambda: (
            len(tasks := tasks_for(site, address)) == count
            and all(task.finished for task in tasks)
            and tasks
        ),
        60,
    )


def test_a_token_issued_through_one_node_is_good_on_the_other(nodes: tuple[Site, ...]) -> None:
    a, b = nodes
    address = USERS["alice"]
    assert a.post(REQUEST, {"email": address}, client("192.0.2.1")) == OK
    token = a.wait_for_mail(address).token

    assert b.post(VALIDATE, {"token": token}, client("192.0.2.1")) == OK
    password = "a-new-one-from-node-b"
    assert b.post(CONFIRM, {"token": token, "password": password}, client("192.0.2.1")) == OK
    # Spent, on both nodes.
    assert a.post(VALIDATE, {"token": token}, client("192.0.2.1"))[0] == 404
    assert b.post(VALIDATE, {"token": token}, client("192.0.2.1"))[0] == 404
    assert can_log_in(a, "alice", password)


def test_one_token_confirmed_32_times_over_both_nodes_succeeds_once(
    nodes: tuple[Site, ...],
) -> None:
    address = USERS["carol"]
    assert nodes[1].post(REQUEST, {"email": address}, client("192.0.2.2")) == OK
    token = nodes[1].wait_for_mail(address).token

    barrier = threading.Barrier(RACERS)
    answers: dict[int, tuple[int, Any]] = {}

    def confirm(index: int) -> None:
        node = nodes[index % len(nodes)]
        payload = {"token": token, "password": f"racer-{index}-Passw0rd"}
        # One address per racer: the confirm throttle (10/hour per client) stays out of it.
        headers = client(f"198.51.100.{index + 1}")
        barrier.wait(timeout=30)
        answers[index] = node.post(CONFIRM, payload, headers)

    threads = [threading.Thread(target=confirm, args=(index,)) for index in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(answers) == RACERS, "a confirm got no answer"

    winners = [index for index, answer in answers.items() if answer == OK]
    assert len(winners) == 1, answers
    assert sorted(status for status, _ in answers.values()) == [200] + [404] * (RACERS - 1)
    [winner] = winners
    assert can_log_in(nodes[0], "carol", f"racer-{winner}-Passw0rd")


def test_the_account_budget_holds_over_both_nodes_and_both_workers(
    nodes: tuple[Site, ...],
) -> None:
    """Six requests for one account from six addresses, alternating nodes: three tokens."""
    address = USERS["dave"]
    requests = 2 * ACCOUNT_BUDGET
    for index in range(requests):
        node = nodes[index % len(nodes)]
        assert node.post(REQUEST, {"email": address}, client(f"203.0.113.{index + 1}")) == OK

    tasks = all_finished(nodes[0], address, requests)
    assert all(task.succeeded for task in tasks), tasks
    # Both workers took some: the budget was counted by two processes on two "machines".
    assert {worker for task in tasks for worker in task.workers} == {
        node.worker_name for node in nodes
    }
    mails = nodes[0].sink.to(address)
    assert len(mails) == ACCOUNT_BUDGET
    assert len({mail.token for mail in mails}) == ACCOUNT_BUDGET


def test_the_request_throttle_holds_over_both_nodes(nodes: tuple[Site, ...]) -> None:
    """One client, six requests alternating nodes: three answered, three refused."""
    answers = [
        nodes[index % len(nodes)].post(
            REQUEST, {"email": f"nobody-{index}@example.com"}, client("192.0.2.99")
        )[0]
        for index in range(2 * REQUEST_THROTTLE)
    ]
    assert answers == [200] * REQUEST_THROTTLE + [429] * REQUEST_THROTTLE
    # Another client is not affected.
    assert nodes[1].post(REQUEST, {"email": "nobody@example.com"}, client("192.0.2.100")) == OK
