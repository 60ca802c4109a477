"""The request endpoint's work, done by real task workers (``TasksExecutor``).

For each backend of :func:`tests.e2e.conftest.site` (django-tasks-db with ``db_worker``,
django-tasks-rq with ``rqworker``), over HTTP against gunicorn: the request is answered at
once, the worker e-mails the link, and the token from that e-mail validates, resets the
password and is spent. The backend's stored tasks carry the address, never a token.
"""

from __future__ import annotations

from urllib.parse import quote

from tests.e2e.conftest import (
    NEW_PASSWORD,
    OLD_PASSWORD,
    QUEUE,
    USERS,
    Site,
    StoredTask,
    can_log_in,
)
from tests.e2e.project.views import SENT_BY_HEADER

REQUEST = "/api/password_reset/"
VALIDATE = "/api/password_reset/validate_token/"
CONFIRM = "/api/password_reset/confirm/"
TENANT_REQUEST = "/api/tenant/password_reset/"
TASK_PATH = "resetkit.tasks.issue_reset_tokens"


def request_reset(site: Site, address: str, path: str = REQUEST) -> StoredTask:
    """POST the request; it must be answered like any other and leave exactly one new task,
    enqueued (on the ``resets`` queue) before the answer."""
    before = {task.id for task in site.stored_tasks()}
    status, body = site.post(path, {"email": address})
    assert (status, body) == (200, {"status": "OK"})
    [task] = [task for task in site.stored_tasks() if task.id not in before]
    assert (task.task_path, task.queue) == (TASK_PATH, QUEUE)
    assert task.payload["lookup_value"] == address
    return task


def finished_by_worker(site: Site, task_id: str) -> StoredTask:
    [task] = [task for task in site.wait_until_tasks_finished() if task.id == task_id]
    assert task.succeeded, task
    assert site.worker_name in task.workers
    return task


def test_a_reset_by_email_from_request_to_new_password(site: Site) -> None:
    task = request_reset(site, USERS["alice"])

    mail = site.wait_for_mail(USERS["alice"])
    assert mail.message["From"] == "resetkit e2e <noreply@app.example>"
    token = mail.token
    assert site.post(VALIDATE, {"token": token}) == (200, {"status": "OK"})
    assert site.post(CONFIRM, {"token": token, "password": NEW_PASSWORD}) == (
        200,
        {"status": "OK"},
    )

    assert can_log_in(site, "alice", NEW_PASSWORD)
    assert not can_log_in(site, "alice", OLD_PASSWORD)
    # Spent.
    assert site.post(VALIDATE, {"token": token})[0] == 404
    finished_by_worker(site, task.id)


def test_an_unknown_address_gets_no_email(site: Site) -> None:
    unknown = request_reset(site, "nobody@example.com")
    # One worker takes the queue in order: once the next request's e-mail is there, the
    # unknown address's task has run.
    known = request_reset(site, USERS["dave"])
    site.wait_for_mail(USERS["dave"])

    finished_by_worker(site, unknown.id)
    finished_by_worker(site, known.id)
    assert site.sink.to("nobody@example.com") == []
    assert len(site.sink.to(USERS["dave"])) == 1


def test_the_stored_tasks_hold_no_token(site: Site) -> None:
    task = request_reset(site, USERS["carol"])
    carol_token = site.wait_for_mail(USERS["carol"]).token
    finished_by_worker(site, task.id)

    stored = site.stored_text()
    # What is read is the job itself: its payload names the address.
    assert USERS["carol"] in stored
    tokens = {mail.token for mail in site.sink.mails}
    assert carol_token in tokens
    for token in tokens:
        assert token not in stored
        assert quote(token, safe="") not in stored


def test_a_subclassed_view_runs_its_own_hooks_in_the_worker(site: Site) -> None:
    mails_to_alice = len(site.sink.to(USERS["alice"]))
    # alice has an account, but not at the tenant's domain: its get_user_queryset() skips her.
    outside = request_reset(site, USERS["alice"], TENANT_REQUEST)
    inside = request_reset(site, USERS["bob"], TENANT_REQUEST)
    for task in (outside, inside):
        assert task.payload["view"] == "tests.e2e.project.views.TenantPasswordResetRequest"
        assert task.payload["initkwargs"] == {
            "tenant_domain": "tenant.example",
            "subject_prefix": "[Tenant]",
        }

    mail = site.wait_for_mail(USERS["bob"])
    # Its deliver_token() wrote this e-mail, with the as_view() option, in the worker.
    assert mail.message["Subject"] == "[Tenant] Reset your password"
    assert mail.message[SENT_BY_HEADER].split()[0] == "worker"
    # ... on a copy of the request it was asked with.
    assert f"Asked at http://127.0.0.1:{site.port}{TENANT_REQUEST} by resetkit-e2e." in mail.text
    assert site.post(VALIDATE, {"token": mail.token}) == (200, {"status": "OK"})

    finished_by_worker(site, outside.id)
    finished_by_worker(site, inside.id)
    assert len(site.sink.to(USERS["alice"])) == mails_to_alice
