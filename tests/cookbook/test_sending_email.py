"""sending-email.md: the reset link by e-mail, with resetkit's receiver or your own."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import override_settings

from resetkit.contrib import email
from resetkit.signals import reset_password_token_created
from tests.conftest import resetkit_overrides
from tests.cookbook import load_recipe

pytestmark = pytest.mark.django_db


@pytest.fixture
def contrib_receiver():
    """The recipe's settings, and its AppConfig.ready() run as Django runs it at start-up."""
    settings_module = load_recipe("email_settings")
    apps_module = load_recipe("email_apps")
    with (
        override_settings(DEFAULT_FROM_EMAIL=settings_module.DEFAULT_FROM_EMAIL),
        resetkit_overrides(**settings_module.RESETKIT),
    ):
        apps_module.AccountsConfig("accounts", apps_module).ready()
        try:
            yield
        finally:
            email.disconnect()


@pytest.fixture
def own_receiver():
    load_recipe("email_own_receiver")  # connects its receiver
    yield
    reset_password_token_created.disconnect(dispatch_uid="accounts.send_reset_link")


@pytest.mark.usefixtures("contrib_receiver")
def test_contrib_receiver_mails_the_link(api_client, user, signals) -> None:
    response = api_client.post("/api/password_reset/", {"email": user.email}, format="json")

    assert response.status_code == 200
    [key] = signals.keys
    link = f"https://app.example/reset#token={key}"
    [message] = mail.outbox
    assert message.to == [user.email]
    assert message.from_email == "Example App <noreply@app.example>"
    assert message.subject == "Reset your password"
    assert link in message.body
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'href="{link}"' in html


@pytest.mark.usefixtures("contrib_receiver")
def test_contrib_receiver_sends_nothing_for_an_unknown_address(api_client, user) -> None:
    api_client.post("/api/password_reset/", {"email": "nobody@example.com"}, format="json")

    assert mail.outbox == []


@pytest.mark.usefixtures("own_receiver")
def test_own_receiver_mails_the_link(api_client, user, signals) -> None:
    response = api_client.post("/api/password_reset/", {"email": user.email}, format="json")

    assert response.status_code == 200
    [key] = signals.keys
    [message] = mail.outbox
    assert message.to == [user.email]
    assert message.subject == "Reset your password"
    assert f"Hello {user.get_username()}," in message.body
    assert f"https://app.example/reset#token={key}" in message.body


def test_no_receiver_no_mail(api_client, user, signals) -> None:
    api_client.post("/api/password_reset/", {"email": user.email}, format="json")

    assert len(signals.keys) == 1
    assert mail.outbox == []
