"""resetkit.contrib.email's notices: "your password was changed" (PASSWORD_CHANGED_NOTICE) and
"someone asked, but no account uses this address" (UNKNOWN_ADDRESS_NOTICE)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.core.cache import caches
from django.utils import timezone, translation

from resetkit.contrib import email
from resetkit.signals import post_password_reset, reset_requested_for_unknown_address
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

REQUEST_URL = "/api/password_reset/"
CONFIRM_URL = "/api/password_reset/confirm/"
CODE_URL = "/api/password_reset/code/"
RESET_URL = "https://app.example/reset#token={token}"
NEW_PASSWORD = "a-new-Passw0rd-for-alice"


@pytest.fixture
def connected() -> Iterator[None]:
    """``email.connect()`` as a project calls it, with ``RESET_URL`` set."""
    email.connect()
    try:
        with resetkit_overrides(RESET_URL=RESET_URL):
            yield
    finally:
        email.disconnect()


def notices_on(**values: Any) -> Any:
    return resetkit_overrides(
        RESET_URL=RESET_URL, PASSWORD_CHANGED_NOTICE=True, UNKNOWN_ADDRESS_NOTICE=True, **values
    )


def request_reset(client: Any, address: str) -> Any:
    return client.post(REQUEST_URL, {"email": address}, format="json")


def reset_password(client: Any, signals: Any, address: str) -> Any:
    assert request_reset(client, address).status_code == 200
    key = signals.keys[-1]
    response = client.post(CONFIRM_URL, {"token": key, "password": NEW_PASSWORD}, format="json")
    assert response.status_code == 200
    return key


def subjects(outbox: list[Any]) -> list[str]:
    return [message.subject for message in outbox]


# -- "your password was changed" --------------------------------------------------------------


def test_after_a_reset_the_account_is_told_its_password_changed(
    connected, api_client, user, signals, mailoutbox, store_kind
) -> None:
    with notices_on():
        key = reset_password(api_client, signals, "alice@example.com")

    assert subjects(mailoutbox) == ["Reset your password", "Your password was changed"]
    notice = mailoutbox[1]
    assert notice.to == ["alice@example.com"]
    assert "Hello alice," in notice.body
    assert timezone.now().strftime("%Y-%m-%d") in notice.body  # when
    assert "If it was not you" in notice.body  # and what to do
    [(html, mimetype)] = notice.alternatives
    assert mimetype == "text/html"
    assert "If it was not you" in html
    # No token, no link to reset: the notice is no key to anything.
    for text in (notice.body, html, notice.subject):
        assert key not in text
        assert "app.example/reset" not in text
        assert "href" not in text


def test_no_notice_when_the_setting_is_off(
    connected, api_client, user, signals, mailoutbox
) -> None:
    with resetkit_overrides(RESET_URL=RESET_URL):
        reset_password(api_client, signals, "alice@example.com")
    assert subjects(mailoutbox) == ["Reset your password"]


def test_no_notice_without_the_notices_connected(api_client, user, signals, mailoutbox) -> None:
    email.connect(notices=False)
    try:
        with notices_on():
            reset_password(api_client, signals, "alice@example.com")
    finally:
        email.disconnect()
    assert subjects(mailoutbox) == ["Reset your password"]


def test_the_notice_alone_with_the_projects_own_link_receiver(
    api_client, user, signals, mailoutbox
) -> None:
    """As the demo connects it: notices only, links sent by the project's receiver."""
    email.connect(links=False, codes=False)
    try:
        assert email.check_reset_url() == []  # no link sent: RESET_URL is not needed
        with resetkit_overrides(PASSWORD_CHANGED_NOTICE=True):
            reset_password(api_client, signals, "alice@example.com")
    finally:
        email.disconnect()
    assert subjects(mailoutbox) == ["Your password was changed"]


def test_the_notice_comes_from_from_email(
    connected, api_client, user, signals, mailoutbox, settings
) -> None:
    settings.DEFAULT_FROM_EMAIL = "default@app.example"
    with notices_on(FROM_EMAIL="Security <security@app.example>"):
        reset_password(api_client, signals, "alice@example.com")
    assert [m.from_email for m in mailoutbox] == ["Security <security@app.example>"] * 2


def test_the_notice_follows_the_language(connected, api_client, user, signals, mailoutbox) -> None:
    with notices_on(), translation.override("de"):
        reset_password(api_client, signals, "alice@example.com")
    notice = mailoutbox[-1]
    assert notice.subject == "Ihr Passwort wurde geändert"
    assert "Das Passwort Ihres Kontos wurde am " in notice.body
    assert "Hallo alice," in notice.body


def test_a_failing_notice_leaves_the_reset_done(
    connected, api_client, user, signals, mailoutbox, monkeypatch, caplog
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError("no SMTP server")

    monkeypatch.setattr("resetkit.contrib.email.notices.send_templated_email", broken)
    with notices_on():
        reset_password(api_client, signals, "alice@example.com")  # 200
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert any(r.exc_info and "no SMTP server" in str(r.exc_info[1]) for r in caplog.records)


def test_the_receiver_takes_the_signal_with_or_without_instance(user, mailoutbox) -> None:
    email.connect(links=False, codes=False)
    try:
        with resetkit_overrides(PASSWORD_CHANGED_NOTICE=True):
            post_password_reset.send(sender=None, user=user, reset_password_token=None)
            post_password_reset.send(
                sender=None, user=user, reset_password_token=None, instance=object()
            )
    finally:
        email.disconnect()
    assert subjects(mailoutbox) == ["Your password was changed"] * 2


def test_an_account_without_an_address_gets_no_notice(make_user, mailoutbox, caplog) -> None:
    nobody = make_user(username="carol", email="")
    caplog.set_level(logging.WARNING, logger="resetkit")
    with resetkit_overrides(PASSWORD_CHANGED_NOTICE=True):
        email.send_password_changed_email(sender=None, user=nobody, reset_password_token=None)
    assert mailoutbox == []
    assert "no password-changed notice sent" in caplog.text


# -- "there is no account for this address" ---------------------------------------------------


def test_an_unknown_address_is_told_no_account_uses_it(connected, api_client, user, mailoutbox):
    with notices_on():
        response = request_reset(api_client, "nobody@example.com")
    assert response.status_code == 200
    [notice] = mailoutbox
    assert notice.to == ["nobody@example.com"]
    assert notice.subject == "Password reset request"
    assert "no account uses this address" in notice.body
    assert "nobody@example.com" in notice.body
    assert "ignore this e-mail" in notice.body
    [(html, _mimetype)] = notice.alternatives
    assert "no account uses this address" in html
    assert "href" not in html


def test_the_answer_is_the_one_a_known_address_gets(connected, api_client, user, mailoutbox):
    with notices_on():
        known = request_reset(api_client, "alice@example.com")
        unknown = request_reset(api_client, "nobody@example.com")
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert known.headers.keys() == unknown.headers.keys()
    assert subjects(mailoutbox) == ["Reset your password", "Password reset request"]


def test_a_known_address_gets_its_link_and_no_notice(connected, api_client, user, mailoutbox):
    with notices_on():
        request_reset(api_client, "ALICE@example.com")
    assert subjects(mailoutbox) == ["Reset your password"]


@pytest.mark.parametrize(
    "extra", [{"is_active": False}, {"password": None}], ids=["inactive", "unusable-password"]
)
def test_an_ineligible_account_gets_no_notice(connected, api_client, make_user, mailoutbox, extra):
    """The account exists: "no account uses this address" would be false (and no link is
    sent either, as before)."""
    make_user(email="dora@example.com", **extra)
    with notices_on():
        assert request_reset(api_client, "dora@example.com").status_code == 200
    assert mailoutbox == []


def test_no_notice_when_the_setting_is_off_for_unknown(connected, api_client, mailoutbox):
    request_reset(api_client, "nobody@example.com")
    assert mailoutbox == []


def test_the_notices_to_one_address_are_rate_limited(connected, api_client, mailoutbox):
    with notices_on(UNKNOWN_ADDRESS_NOTICE_RATE="2/day"):
        for address in ("nobody@example.com", "NoBody@Example.com", "nobody@EXAMPLE.COM"):
            assert request_reset(api_client, address).status_code == 200
        assert len(mailoutbox) == 2  # the case of an address does not buy more
        # Another address has its own budget.
        request_reset(api_client, "someone-else@example.com")
        assert len(mailoutbox) == 3
        # A day later the address may be told again.
        later = timezone.now() + timedelta(days=1, minutes=30)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr("django.utils.timezone.now", lambda: later)
            request_reset(api_client, "nobody@example.com")
        assert len(mailoutbox) == 4


def test_the_default_rate_is_one_a_day(connected, api_client, mailoutbox):
    with notices_on():
        for _ in range(3):
            request_reset(api_client, "nobody@example.com")
    assert len(mailoutbox) == 1


def test_the_cache_never_holds_the_address(connected, api_client, mailoutbox):
    with notices_on():
        request_reset(api_client, "nobody@example.com")
    inner = caches["default"]._cache  # LocMemCache: a dict; RedisCache: its client
    if isinstance(inner, dict):
        keys = [str(key) for key in inner]
    else:
        keys = [key.decode() for key in inner.get_client(None).keys("*")]
    assert any("unknown-address-notice" in key for key in keys)
    assert not any("nobody" in key.lower() for key in keys)


def test_the_unknown_address_notice_follows_the_language(connected, api_client, mailoutbox):
    with notices_on(), translation.override("fr"):
        request_reset(api_client, "nobody@example.com")
    [notice] = mailoutbox
    assert notice.subject == "Demande de réinitialisation du mot de passe"
    assert "aucun compte n'utilise cette adresse" in notice.body


def test_the_code_flow_tells_an_unknown_address_too(connected, api_client, mailoutbox):
    with notices_on():
        response = api_client.post(CODE_URL, {"email": "nobody@example.com"}, format="json")
    assert response.status_code == 200
    assert subjects(mailoutbox) == ["Password reset request"]


def test_the_signal_carries_the_view_and_the_address(api_client, user) -> None:
    seen: list[dict[str, Any]] = []

    def on_unknown(**kwargs: Any) -> None:
        seen.append(kwargs)

    reset_requested_for_unknown_address.connect(on_unknown, dispatch_uid="test-unknown")
    try:
        request_reset(api_client, "nobody@example.com")
        request_reset(api_client, "alice@example.com")
    finally:
        reset_requested_for_unknown_address.disconnect(dispatch_uid="test-unknown")
    [call] = seen
    assert call["email"] == "nobody@example.com"
    assert call["instance"].request.data == {"email": "nobody@example.com"}
    assert call["sender"] is type(call["instance"])


def test_an_invalid_address_gets_nothing(mailoutbox) -> None:
    with resetkit_overrides(UNKNOWN_ADDRESS_NOTICE=True):
        for value in ("not-an-address", "", "+49 30 1234567", "a@b@example.com"):
            email.send_unknown_address_email(sender=None, instance=None, email=value)
    assert mailoutbox == []


def test_a_failing_notice_changes_nothing_in_the_answer(
    connected, api_client, mailoutbox, monkeypatch, caplog
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise ConnectionRefusedError("no SMTP server")

    monkeypatch.setattr("resetkit.contrib.email.notices.send_templated_email", broken)
    with notices_on():
        response = request_reset(api_client, "nobody@example.com")
    assert (response.status_code, response.json()) == (200, {"status": "OK"})
    assert any(r.exc_info and "no SMTP server" in str(r.exc_info[1]) for r in caplog.records)


# -- the recipe of docs/cookbook/sending-email.md ----------------------------------------------


def test_the_cookbook_recipe(api_client, user, signals, mailoutbox, settings) -> None:
    from tests.cookbook import load_recipe

    links = load_recipe("email_reset_url")
    recipe = load_recipe("email_notices_settings")
    settings.DEFAULT_FROM_EMAIL = recipe.DEFAULT_FROM_EMAIL
    sender = recipe.RESETKIT["FROM_EMAIL"]
    email.connect()
    try:
        with resetkit_overrides(**{**recipe.RESETKIT, "RESET_URL": links.reset_url}):
            assert email.check_reset_url() == []
            api_client.post(
                REQUEST_URL,
                {"email": user.email},
                format="json",
                HTTP_ORIGIN="https://shop.example",
            )
            key = signals.keys[0]
            confirm = {"token": key, "password": NEW_PASSWORD}
            assert api_client.post(CONFIRM_URL, confirm, format="json").status_code == 200
            request_reset(api_client, "nobody@example.com")
            request_reset(api_client, "nobody@example.com")  # once a day
    finally:
        email.disconnect()
    assert subjects(mailoutbox) == [
        "Reset your password",
        "Your password was changed",
        "Password reset request",
    ]
    assert f"https://shop.example/account/reset#token={key}" in mailoutbox[0].body
    assert {m.from_email for m in mailoutbox} == {sender}
    # Without a request (generate_token_for_email), the default page.
    assert links.reset_url("abc", user, None) == "https://app.example/reset#token=abc"
