"""not-me.md: the "I didn't ask for this" link revokes the account's tokens, not its password."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import override_settings

from resetkit.mixins import INVALID_TOKEN_ERROR
from resetkit.signals import reset_password_token_created
from tests.cookbook import load_recipe

pytestmark = pytest.mark.django_db

OLD_PASSWORD = "old-Passw0rd!"
GENERIC_404 = {"detail": str(INVALID_TOKEN_ERROR)}


@pytest.fixture(autouse=True)
def recipe():
    module = load_recipe("not_me")  # connects its receiver
    try:
        with override_settings(ROOT_URLCONF=module):
            yield module
    finally:
        reset_password_token_created.disconnect(dispatch_uid="accounts.send_reset_links")


def request_links(api_client, email: str) -> tuple[str, str]:
    """Ask for a reset; return the tokens in the reset link and in the not-me link."""
    sent = len(mail.outbox)
    response = api_client.post("/api/password_reset/", {"email": email}, format="json")
    assert response.status_code == 200
    [message] = mail.outbox[sent:]
    assert message.to == [email]
    [reset] = re.findall(r"https://app\.example/reset\?token=(\w+)", message.body)
    [not_me] = re.findall(r"https://app\.example/not-me\?token=(\w+)", message.body)
    return reset, not_me


def post(api_client, path: str, **body: str):
    return api_client.post(f"/api/password_reset/{path}", body, format="json")


def test_mail_has_both_links_with_the_token(api_client, user, signals) -> None:
    reset, not_me = request_links(api_client, user.email)

    assert reset == not_me == signals.keys[0]


def test_not_me_revokes_every_token_and_keeps_the_password(api_client, user, make_user) -> None:
    other = make_user()
    first, _ = request_links(api_client, user.email)
    _, second = request_links(api_client, user.email)
    others, _ = request_links(api_client, other.email)

    response = post(api_client, "not_me/", token=second)

    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    for key in (first, second):
        assert post(api_client, "validate_token/", token=key).status_code == 404
        assert post(api_client, "confirm/", token=key, password="n3w-Passw0rd!").status_code == 404
    user.refresh_from_db()
    assert user.check_password(OLD_PASSWORD)
    # Another account's token is untouched.
    assert post(api_client, "validate_token/", token=others).status_code == 200


def test_a_later_request_works_again(api_client, user) -> None:
    _, not_me = request_links(api_client, user.email)
    post(api_client, "not_me/", token=not_me)

    reset, _ = request_links(api_client, user.email)

    assert post(api_client, "confirm/", token=reset, password="n3w-Passw0rd!").status_code == 200


def test_unknown_or_used_token_is_the_generic_404(api_client, user) -> None:
    _, not_me = request_links(api_client, user.email)
    assert post(api_client, "not_me/", token=not_me).status_code == 200

    for token in ("not-a-token", not_me):
        response = post(api_client, "not_me/", token=token)
        assert (response.status_code, response.json()) == (404, GENERIC_404)


def test_missing_token_is_a_400(api_client, user) -> None:
    response = post(api_client, "not_me/")

    assert response.status_code == 400
    assert set(response.json()) == {"token"}
