"""The request endpoint captures a job and answers; the job rebuilds the view elsewhere."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation
from rest_framework.test import APIRequestFactory

from resetkit.executors import IssueJob, run_issue_job
from resetkit.generators import RandomNumberTokenGenerator
from resetkit.signals import reset_password_token_created
from resetkit.testing import capture_issue_jobs
from resetkit.views import ResetPasswordRequestToken, reset_password_request_token
from tests.conftest import resetkit_overrides
from tests.executors.views import StaffOnlyRequest

pytestmark = pytest.mark.django_db
factory = APIRequestFactory()
URL = "/api/password_reset/"


def post(view: Any, email: str, **extra: Any) -> Any:
    request = factory.post(URL, {"email": email}, format="json", **extra)
    response = view(request)
    response.render()
    return response


def test_nothing_is_looked_up_before_the_answer(user, signals, django_assert_num_queries) -> None:
    with capture_issue_jobs() as jobs, django_assert_num_queries(0):
        response = post(reset_password_request_token, "alice@example.com")
    assert response.status_code == 200
    assert signals.created == []
    assert jobs.run() == 1
    assert [t.user for t in signals.tokens] == [user]


def test_answer_and_job_are_alike_for_every_account(user) -> None:
    with capture_issue_jobs() as jobs:
        known = post(reset_password_request_token, "alice@example.com")
        unknown = post(reset_password_request_token, "nobody@example.com")
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert dict(known.items()) == dict(unknown.items())
    first, second = (job.to_payload() for job in jobs)
    assert {k for k in first if first[k] != second[k]} == {"lookup_value", "data"}


def test_a_job_carries_no_token_and_no_credentials(user, signals) -> None:
    with capture_issue_jobs() as jobs:
        post(
            reset_password_request_token,
            "alice@example.com",
            HTTP_AUTHORIZATION="Bearer secret-bearer",
            HTTP_COOKIE="sessionid=secret-session",
            HTTP_X_API_KEY="secret-api-key",
            HTTP_X_FORWARDED_PROTO="https",
        )
    [job] = jobs
    payload = json.dumps(job.to_payload())
    jobs.run()
    [token] = signals.tokens
    assert token.key not in payload
    for secret in ("secret-bearer", "secret-session", "secret-api-key"):
        assert secret not in payload
    assert job.request["meta"]["HTTP_X_FORWARDED_PROTO"] == "https"  # for absolute links


class ClientAwareRequest(ResetPasswordRequestToken):
    issue_job_headers = ("X-Client", "Authorization")


def test_a_view_names_the_headers_its_hooks_read_but_never_credentials(user) -> None:
    with capture_issue_jobs() as jobs:
        post(
            ClientAwareRequest.as_view(),
            "alice@example.com",
            HTTP_X_CLIENT="mobile",
            HTTP_AUTHORIZATION="Bearer secret-bearer",
        )
    meta = jobs[0].request["meta"]
    assert meta["HTTP_X_CLIENT"] == "mobile"
    assert "HTTP_AUTHORIZATION" not in meta


def test_a_client_cannot_make_a_job_big(user) -> None:
    headers = {f"HTTP_X_PAD_{i}": "x" * 10_000 for i in range(200)}
    headers["HTTP_USER_AGENT"] = "u" * 100_000
    with capture_issue_jobs() as jobs:
        post(reset_password_request_token, "alice@example.com", **headers)
    assert len(json.dumps(jobs[0].to_payload())) < 10_000


def test_hooks_and_as_view_options_run_in_a_view_rebuilt_from_json(make_user, seen) -> None:
    make_user(email="alice@example.com", username="alice")  # not staff: filtered out
    staff = make_user(email="staff@example.com", username="staff", is_staff=True)
    view = StaffOnlyRequest.as_view(
        token_generator_class=RandomNumberTokenGenerator,
        token_generator_kwargs={"min_number": 10**20, "max_number": 10**21},
    )
    with capture_issue_jobs() as jobs, translation.override("fr"):
        for email in ("alice@example.com", "staff@example.com"):
            request = factory.post(
                URL, {"email": email}, format="json", HTTP_USER_AGENT="probe/1.0"
            )
            view(request, tenant="acme").render()
    matched = [
        run_issue_job(IssueJob.from_payload(json.loads(json.dumps(job.to_payload()))))
        for job in jobs
    ]
    assert matched == [False, True]
    [delivery] = seen  # only the staff account matched the overridden queryset
    assert delivery["user"] == staff
    assert delivery["key"].isdigit() and int(delivery["key"]) >= 10**20  # the as_view() option
    assert delivery["link"] == f"http://testserver/reset?token={delivery['key']}"
    assert delivery["language"] == "fr"
    assert delivery["data"] == {"email": "staff@example.com"}
    assert delivery["url_kwargs"] == {"tenant": "acme"}
    assert (delivery["ip_address"], delivery["user_agent"]) == ("127.0.0.1", "probe/1.0")


def test_receivers_read_instance_request_as_upstream_documents(user) -> None:
    """django-rest-passwordreset's README builds the link from ``instance.request``."""
    links: list[str] = []

    def receiver(sender: Any, instance: Any, reset_password_token: Any, **kwargs: Any) -> None:
        links.append(instance.request.build_absolute_uri("/confirm/"))

    reset_password_token_created.connect(receiver, dispatch_uid="upstream-style")
    try:
        with capture_issue_jobs() as jobs:
            post(reset_password_request_token, "alice@example.com", HTTP_HOST="app.example")
        jobs.run()
    finally:
        reset_password_token_created.disconnect(dispatch_uid="upstream-style")
    assert links == ["http://app.example/confirm/"]


def test_a_view_a_worker_cannot_import_is_refused_when_enqueued(user) -> None:
    class LocalView(ResetPasswordRequestToken):
        pass

    with capture_issue_jobs() as jobs:
        post(LocalView.as_view(), "alice@example.com")
    with pytest.raises(ImproperlyConfigured, match="inside a function"):
        jobs[0].to_payload()


class WithAnOption(ResetPasswordRequestToken):
    #: ``as_view(handle=...)``: an option of the project's own view.
    handle: Any = None


def test_an_option_a_worker_cannot_rebuild_is_refused(user) -> None:
    view = WithAnOption.as_view(handle=object())
    with capture_issue_jobs() as jobs:
        post(view, "alice@example.com")
    with pytest.raises(ImproperlyConfigured, match=r"as_view\(handle=...\)"):
        jobs[0].to_payload()


def test_legacy_400_mode_works_inline(user, signals) -> None:
    with resetkit_overrides(NO_INFORMATION_LEAKAGE=False), capture_issue_jobs() as jobs:
        assert post(reset_password_request_token, "nobody@example.com").status_code == 400
        assert post(reset_password_request_token, "alice@example.com").status_code == 200
    assert jobs == []
    assert len(signals.created) == 1


def test_issue_after_response_off_means_inline(user, signals) -> None:
    with resetkit_overrides(ISSUE_AFTER_RESPONSE=False, ISSUE_EXECUTOR="no.such.Executor"):
        post(reset_password_request_token, "alice@example.com")
    assert len(signals.created) == 1


def test_misconfiguration_still_fails_the_request(user) -> None:
    with (
        resetkit_overrides(TOKEN_STORE="resetkit.backends.nope.Store"),
        pytest.raises(ImproperlyConfigured, match="TOKEN_STORE"),
    ):
        post(reset_password_request_token, "alice@example.com")


def test_an_unknown_executor_is_named(user) -> None:
    with (
        resetkit_overrides(ISSUE_EXECUTOR="resetkit.executors.Nope"),
        pytest.raises(ImproperlyConfigured, match="ISSUE_EXECUTOR"),
    ):
        post(reset_password_request_token, "alice@example.com")
    with (
        resetkit_overrides(
            ISSUE_EXECUTOR={"CLASS": "resetkit.executors.ThreadExecutor", "OPTIONS": {"workers": 0}}
        ),
        pytest.raises(ImproperlyConfigured, match="ThreadExecutor"),
    ):
        post(reset_password_request_token, "alice@example.com")


def test_a_crash_is_logged_with_the_view_and_path_but_not_the_address(
    user, caplog, monkeypatch
) -> None:
    def broken(self: Any, value: str) -> list[Any]:
        raise KeyError("boom")

    monkeypatch.setattr(ResetPasswordRequestToken, "get_users_for_reset", broken)
    with capture_issue_jobs() as jobs:
        response = post(reset_password_request_token, "alice@example.com")
    with caplog.at_level(logging.ERROR, logger="resetkit"):
        jobs.run()
    assert response.status_code == 200
    [record] = [r for r in caplog.records if r.name == "resetkit"]
    assert "resetkit.views.ResetPasswordRequestToken" in record.getMessage()
    assert URL in record.getMessage()
    assert "alice@example.com" not in record.getMessage() + (record.exc_text or "")
    assert record.exc_info is not None


def test_the_default_executor_runs_inline_under_the_test_environment(monkeypatch) -> None:
    """Tests written for django-rest-passwordreset see tokens when the request returns."""
    from django.core import mail
    from django.test import override_settings

    from resetkit.executors import InlineExecutor, ThreadExecutor, get_issue_executor

    with override_settings(RESETKIT={}):
        assert type(get_issue_executor()) is InlineExecutor
        monkeypatch.delattr(mail, "outbox")  # as outside Django's test environment
        assert type(get_issue_executor()) is ThreadExecutor
    monkeypatch.undo()
    configured = {"ISSUE_EXECUTOR": "resetkit.executors.ThreadExecutor"}
    with override_settings(RESETKIT=configured):
        assert type(get_issue_executor()) is ThreadExecutor  # what a project sets is kept


def round_trip(job: IssueJob) -> IssueJob:
    return IssueJob.from_payload(json.loads(json.dumps(job.to_payload())))


def test_a_job_travels_small_and_comes_back_whole(user) -> None:
    """Fields at their defaults stay out of the payload (a backend copies and stores it), and
    the worker's job is the request's job all the same."""
    with capture_issue_jobs() as jobs:
        post(reset_password_request_token, "alice@example.com")
    [job] = jobs
    payload = job.to_payload()
    assert set(payload) == {"view", "lookup_value", "data", "language", "request"}
    assert "path_info" not in payload["request"]
    assert round_trip(job) == IssueJob(**{**job.__dict__, "view": job.view_name})

    full = IssueJob(
        view=ResetPasswordRequestToken,
        lookup_value="alice@example.com",
        data={"email": "alice@example.com", "extra": [1, {"a": None}]},
        initkwargs={"token_generator_class": RandomNumberTokenGenerator, "n": 3},
        args=["x"],
        kwargs={"tenant": "acme"},
        action="create",
        language="fr",
        request={"method": "POST", "path": "/a/b/", "path_info": "/b/", "meta": {}},
    )
    assert round_trip(full) == IssueJob(**{**full.__dict__, "view": full.view_name})


def test_a_payload_of_every_field_is_still_read(user, signals) -> None:
    """A job a web process enqueued with every field spelled out (as earlier releases did)
    runs on an upgraded worker."""
    payload = {
        "view": "resetkit.views.ResetPasswordRequestToken",
        "lookup_value": "alice@example.com",
        "data": {"email": "alice@example.com"},
        "initkwargs": {},
        "args": [],
        "kwargs": {},
        "action": None,
        "language": "en",
        "request": {
            "method": "POST",
            "path": URL,
            "path_info": URL,
            "scheme": "http",
            "meta": {"HTTP_HOST": "app.example", "REMOTE_ADDR": "127.0.0.1"},
        },
    }
    job = IssueJob.from_payload(json.loads(json.dumps(payload)))
    assert job.request["path_info"] == URL
    assert run_issue_job(job) is True
    [token] = signals.tokens
    assert token.user == user
