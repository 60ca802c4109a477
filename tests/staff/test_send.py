"""The staff API's ``send/``: staff send a user a reset link through the request endpoint's own
path, and never see the token."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core import mail
from rest_framework.test import APIClient

from resetkit.models import ResetPasswordToken
from resetkit.signals import reset_password_token_created
from resetkit.views import ResetPasswordRequestToken
from tests.conftest import resetkit_overrides
from tests.staff.conftest import client_for, grant

pytestmark = pytest.mark.django_db

SEND_URL = "/staff/send/"
VALIDATE_URL = "/api/password_reset/validate_token/"
REQUEST_URL = "/api/password_reset/"


@pytest.fixture
def sender(make_user: Callable[..., Any]) -> Any:
    """A staff user with the token model's ``add`` permission only."""
    return grant(make_user(email="staff@example.com", username="staff", is_staff=True), "add")


@pytest.fixture
def sender_client(sender: Any) -> APIClient:
    return client_for(sender)


def send(client: APIClient, user: Any, **extra: Any) -> Any:
    return client.post(SEND_URL, {"user": user.pk}, format="json", **extra)


def is_valid(key: str) -> bool:
    status = APIClient().post(VALIDATE_URL, {"token": key}, format="json").status_code
    assert status in (200, 404)
    return status == 200


def assert_no_key(response: Any, keys: list[str]) -> None:
    body = response.content.decode()
    for key in keys:
        assert key not in body
    assert "token" not in response.json()
    assert "key" not in response.json()


# -- permissions ---------------------------------------------------------------------------


def test_anonymous_is_refused(user, signals) -> None:
    assert send(APIClient(), user).status_code in (401, 403)
    assert signals.created == []


def test_non_staff_is_refused_even_with_the_permission(make_user, user, signals) -> None:
    member = grant(make_user(username="member"), "add")
    assert send(client_for(member), user).status_code == 403
    assert signals.created == []


@pytest.mark.parametrize("actions", [(), ("view",), ("view", "delete")])
def test_staff_without_add_permission_is_refused(make_user, user, signals, actions) -> None:
    staff = grant(make_user(username="support", is_staff=True), *actions)
    response = send(client_for(staff), user)
    assert response.status_code == 403
    assert "sent" not in response.json()
    assert signals.created == []


def test_staff_with_add_permission_sends(sender_client, user, signals) -> None:
    response = send(sender_client, user)
    assert response.status_code == 200
    assert response.json() == {"status": "OK", "sent": True, "reason": "sent"}
    [token] = signals.tokens
    assert token.user.pk == user.pk
    assert_no_key(response, signals.keys)


def test_add_permission_through_a_group(make_user, user, signals) -> None:
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.create(name="support")
    group.permissions.add(Permission.objects.get(codename="add_resetpasswordtoken"))
    staff = make_user(username="support", is_staff=True)
    staff.groups.add(group)
    assert send(client_for(staff), user).json()["sent"] is True


def test_staff_superuser_sends(make_user, user, signals) -> None:
    root = make_user(username="root", is_staff=True, is_superuser=True)
    assert send(client_for(root), user).json()["sent"] is True
    assert len(signals.tokens) == 1


def test_superuser_without_staff_is_refused(make_user, user, signals) -> None:
    root = make_user(username="root", is_staff=False, is_superuser=True)
    assert send(client_for(root), user).status_code == 403
    assert signals.created == []


def test_send_is_post_only(sender_client, user, signals) -> None:
    assert sender_client.get(SEND_URL, {"user": user.pk}).status_code == 405
    assert signals.created == []


# -- delivery, on every store ----------------------------------------------------------------


def test_the_delivered_token_works_and_is_never_in_the_answer(
    store_kind, sender_client, user, signals
) -> None:
    response = send(sender_client, user)
    assert response.status_code == 200 and response.json()["sent"] is True
    [key] = signals.keys
    assert_no_key(response, [key])
    assert is_valid(key)
    # Kept where the configured store keeps tokens: the table only for the ORM store.
    assert ResetPasswordToken.objects.filter(user=user).exists() == (store_kind == "orm")


def test_delivery_goes_through_the_projects_receiver(store_kind, sender_client, user) -> None:
    """The project's ``reset_password_token_created`` receiver e-mails the link, as for a
    request the user made."""

    def email_link(sender: Any, instance: Any, reset_password_token: Any, **kwargs: Any) -> None:
        mail.send_mail(
            "Reset your password",
            f"https://app.example/reset#token={reset_password_token.key}",
            None,
            [reset_password_token.user.email],
        )

    reset_password_token_created.connect(email_link, dispatch_uid="test-staff-send-mail")
    try:
        response = send(sender_client, user)
    finally:
        reset_password_token_created.disconnect(dispatch_uid="test-staff-send-mail")
    assert response.json()["sent"] is True
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    key = message.body.rsplit("token=", 1)[1]
    assert is_valid(key)
    assert_no_key(response, [key])


def test_the_token_records_the_staff_request(sender_client, user, signals) -> None:
    meta = {"REMOTE_ADDR": "192.0.2.9", "HTTP_USER_AGENT": "SupportDesk/1.0"}
    send(sender_client, user, **meta)
    [token] = signals.tokens
    assert (token.ip_address, token.user_agent) == ("192.0.2.9", "SupportDesk/1.0")
    instance = signals.created[0]["instance"]
    assert isinstance(instance, ResetPasswordRequestToken)
    # Receivers can build absolute URLs, as for a client's request; no credential is copied.
    assert instance.request.build_absolute_uri("/reset/").startswith("http://testserver/")
    assert "HTTP_COOKIE" not in instance.request.META


# -- budget and eligibility ------------------------------------------------------------------


def test_the_account_budget_applies(store_kind, sender_client, user, signals) -> None:
    """Three links an hour by default, as for requests the user makes: the fourth is not
    sent, and staff are told why."""
    for _ in range(3):
        assert send(sender_client, user).json()["sent"] is True
    response = send(sender_client, user)
    assert response.status_code == 200
    body = response.json()
    assert (body["sent"], body["reason"]) == (False, "budget_spent")
    assert "ACCOUNT_TOKEN_RATE" in body["detail"]
    assert len(signals.keys) == 3
    assert all(is_valid(key) for key in signals.keys)


def test_the_budget_is_shared_with_the_users_own_requests(sender_client, user, signals) -> None:
    for _ in range(3):
        APIClient().post(REQUEST_URL, {"email": user.email}, format="json")
    assert len(signals.keys) == 3
    assert send(sender_client, user).json()["reason"] == "budget_spent"
    assert len(signals.keys) == 3


def test_the_budget_setting_is_read_per_call(sender_client, user, signals) -> None:
    with resetkit_overrides(ACCOUNT_TOKEN_RATE="1/hour"):
        assert send(sender_client, user).json()["sent"] is True
        assert send(sender_client, user).json()["sent"] is False
    with resetkit_overrides(ACCOUNT_TOKEN_RATE=None):
        assert all(send(sender_client, user).json()["sent"] for _ in range(5))


@pytest.mark.parametrize(
    "attrs", [{"is_active": False}, {"password": None}], ids=["inactive", "unusable-password"]
)
def test_an_ineligible_user_gets_nothing(
    store_kind, sender_client, make_user, signals, attrs
) -> None:
    target = make_user(email="carol@example.net", username="carol", **attrs)
    response = send(sender_client, target)
    assert response.status_code == 200
    body = response.json()
    assert (body["sent"], body["reason"]) == (False, "not_eligible")
    assert signals.created == []
    assert not ResetPasswordToken.objects.exists()


def test_an_ineligible_user_does_not_spend_the_budget(sender_client, user, signals) -> None:
    user.is_active = False
    user.save()
    for _ in range(4):
        assert send(sender_client, user).json()["reason"] == "not_eligible"
    user.is_active = True
    user.save()
    assert send(sender_client, user).json()["sent"] is True


@pytest.mark.parametrize("body", [{}, {"user": ""}, {"user": "no-such-user"}, {"user": [1]}])
def test_an_unknown_or_missing_user_is_a_400(sender_client, user, signals, body) -> None:
    response = sender_client.post(SEND_URL, body, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["user"]
    assert signals.created == []


def test_an_unknown_primary_key_is_a_400(sender_client, user, signals) -> None:
    from django.contrib.auth import get_user_model

    pk = user.pk
    get_user_model()._default_manager.filter(pk=pk).delete()
    response = sender_client.post(SEND_URL, {"user": str(pk)}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["user"]
    assert signals.created == []


# -- the request view's hooks -----------------------------------------------------------------


class NoBudgetRequestView(ResetPasswordRequestToken):
    def consume_account_budget(self, user: Any) -> bool:
        return False


class StaffOnlyFlowRequestView(ResetPasswordRequestToken):
    """A project whose request view finds staff accounts only."""

    def get_user_queryset(self) -> Any:
        from django.contrib.auth import get_user_model

        return get_user_model()._default_manager.filter(is_staff=True)


@pytest.mark.parametrize(
    ("view_class", "reason"),
    [(NoBudgetRequestView, "budget_spent"), (StaffOnlyFlowRequestView, "not_eligible")],
)
def test_the_request_views_hooks_run(
    sender_client, user, signals, monkeypatch, view_class, reason
) -> None:
    from resetkit.staff.views import SendResetLinkView

    monkeypatch.setattr(SendResetLinkView, "request_view_class", view_class)
    body = send(sender_client, user).json()
    assert (body["sent"], body["reason"]) == (False, reason)
    assert signals.created == []


# -- the log record --------------------------------------------------------------------------


@pytest.fixture
def records(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.INFO, logger="resetkit"):
        yield caplog


def staff_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "reset_event", "").startswith("staff.")]


def test_a_sent_link_is_logged_without_the_token(
    sender, sender_client, user, signals, records
) -> None:
    send(sender_client, user)
    [record] = staff_records(records)
    assert record.levelno == logging.INFO
    assert record.reset_event == "staff.link_sent"
    assert record.reset_staff_pk in (sender.pk, str(sender.pk))
    assert record.reset_user_pk in (user.pk, str(user.pk))
    assert (record.reset_sent, record.reset_reason) == (True, "sent")
    assert record.reset_via == "api"
    [key] = signals.keys
    assert all(key not in r.getMessage() for r in records.records)
    assert key not in records.text
    # The request endpoint's own record is not written for a staff-sent link.
    assert not [r for r in records.records if getattr(r, "reset_event", "") == "request.issued"]


def test_a_link_not_sent_is_logged_with_the_reason(
    sender_client, make_user, signals, records
) -> None:
    target = make_user(username="gone", is_active=False)
    send(sender_client, target)
    [record] = staff_records(records)
    assert record.reset_event == "staff.link_sent"
    assert (record.reset_sent, record.reset_reason) == (False, "not_eligible")


def test_a_refused_request_is_not_logged_as_sent(member_client, user, records) -> None:
    send(member_client, user)
    assert staff_records(records) == []


# -- the helper, from code -------------------------------------------------------------------


def test_issue_token_for_user_without_delivery(store_kind, user, signals) -> None:
    from resetkit.issuing import issue_token_for_user

    outcome = issue_token_for_user(
        user, ip_address="198.51.100.4", user_agent="Script/1", deliver=False
    )
    assert (outcome.sent, outcome.reason) == (True, "sent")
    assert outcome.token is not None
    assert (outcome.token.ip_address, outcome.token.user_agent) == ("198.51.100.4", "Script/1")
    assert signals.created == []
    assert is_valid(outcome.token.key)


def test_issue_token_for_user_reports_why_nothing_was_issued(make_user, user, signals) -> None:
    from resetkit.issuing import issue_token_for_user

    inactive = make_user(username="gone", is_active=False)
    assert issue_token_for_user(inactive).reason == "not_eligible"
    assert issue_token_for_user(inactive).token is None
    with resetkit_overrides(ACCOUNT_TOKEN_RATE="1/hour"):
        assert issue_token_for_user(user).sent
        spent = issue_token_for_user(user)
    assert (spent.sent, spent.reason, spent.token) == (False, "budget_spent", None)
    assert len(signals.keys) == 1


def test_no_information_leakage_off_changes_nothing_for_staff(
    sender_client, make_user, signals
) -> None:
    """The legacy 400 of the request endpoint is for unknown addresses; staff name a user."""
    inactive = make_user(username="gone", is_active=False)
    with resetkit_overrides(NO_INFORMATION_LEAKAGE=False):
        response = send(sender_client, inactive)
    assert response.status_code == 200
    assert response.json()["reason"] == "not_eligible"
