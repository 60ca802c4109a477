"""The ready-made e-mail receiver: what lands in the outbox, and what happens when misconfigured."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.utils import timezone

from resetkit.backends import ResetToken
from resetkit.contrib import email
from resetkit.generators import BaseTokenGenerator
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

REQUEST_URL = "/api/password_reset/"
VALIDATE_URL = "/api/password_reset/validate_token/"
RESET_URL = "https://app.example/reset?token={token}"
LINK = re.compile(r"https://app\.example/reset\?token=[^\s\"<]+")


class AwkwardTokenGenerator(BaseTokenGenerator):
    """A custom generator whose tokens need quoting in a URL."""

    def generate_token(self, *args: Any, **kwargs: Any) -> str:
        return "a b/c+d&e?f=g#h%"


@pytest.fixture
def receiver() -> Iterator[None]:
    """The receiver connected as a project connects it, with ``RESET_URL`` set."""
    email.connect()
    try:
        with resetkit_overrides(RESET_URL=RESET_URL):
            yield
    finally:
        email.disconnect()


def request_reset(client: Any, address: str) -> Any:
    response = client.post(REQUEST_URL, {"email": address}, format="json")
    assert response.status_code == 200
    return response


def token_in(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def a_token_for(user: Any, key: str = "0123456789abcdef" * 2) -> ResetToken:
    now = timezone.now()
    return ResetToken(
        key=key, digest="", user=user, created_at=now, expires_at=now + timedelta(hours=24)
    )


def test_the_user_gets_a_text_and_html_message_with_a_working_link(
    receiver, api_client, user, mailoutbox, signals, settings
) -> None:
    settings.DEFAULT_FROM_EMAIL = "noreply@app.example"
    request_reset(api_client, "alice@example.com")

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["alice@example.com"]
    assert message.from_email == "noreply@app.example"
    assert message.subject == "Reset your password"
    link = f"https://app.example/reset?token={signals.keys[0]}"
    assert LINK.findall(message.body) == [link]
    assert "Hello alice," in message.body
    expires = signals.tokens[0].expires_at.strftime("%Y-%m-%d %H:%M")
    assert expires in message.body

    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert f'<a href="{link}">' in html
    assert "Hello alice," in html

    # The token in the link is the one the API accepts.
    response = api_client.post(VALIDATE_URL, {"token": token_in(link)}, format="json")
    assert response.status_code == 200


def test_an_unknown_address_gets_no_message(receiver, api_client, user, mailoutbox) -> None:
    request_reset(api_client, "nobody@example.com")
    assert mailoutbox == []


def test_the_token_is_url_quoted_in_the_link(receiver, api_client, user, mailoutbox) -> None:
    generator = f"{__name__}.AwkwardTokenGenerator"
    with resetkit_overrides(RESET_URL=RESET_URL, TOKEN_GENERATOR=generator):
        request_reset(api_client, "alice@example.com")
        [link] = LINK.findall(mailoutbox[0].body)
        assert link == "https://app.example/reset?token=a%20b%2Fc%2Bd%26e%3Ff%3Dg%23h%25"
        assert f'href="{link}"' in mailoutbox[0].alternatives[0][0]
        assert token_in(link) == "a b/c+d&e?f=g#h%"
        response = api_client.post(VALIDATE_URL, {"token": token_in(link)}, format="json")
    assert response.status_code == 200


def test_other_braces_in_the_url_are_left_alone(receiver, mailoutbox, user) -> None:
    with resetkit_overrides(RESET_URL="https://app.example/#/reset/{token}?x={x}"):
        email.send_reset_email(sender=None, reset_password_token=a_token_for(user, "abc"))
    assert "https://app.example/#/reset/abc?x={x}" in mailoutbox[0].body


def test_the_message_goes_to_the_user_models_email_field(receiver, mailoutbox) -> None:
    class Member:
        """A user model whose address field is not called ``email``."""

        pk = 7
        contact_email = "member@example.org"
        email = "not-this-one@example.org"

        def get_username(self) -> str:
            return "member"

        @classmethod
        def get_email_field_name(cls) -> str:
            return "contact_email"

    email.send_reset_email(sender=None, reset_password_token=a_token_for(Member()))
    assert [message.to for message in mailoutbox] == [["member@example.org"]]


def test_a_user_without_an_address_is_skipped_with_a_warning(
    receiver, api_client, make_user, mailoutbox, caplog
) -> None:
    make_user(username="carol@example.com", email="")
    caplog.set_level(logging.WARNING, logger="resetkit")
    with resetkit_overrides(RESET_URL=RESET_URL, LOOKUP_FIELD="username"):
        request_reset(api_client, "carol@example.com")
    assert mailoutbox == []
    assert "no e-mail address" in caplog.text


def test_projects_override_the_templates(
    receiver, api_client, user, mailoutbox, signals, tmp_path
) -> None:
    folder = tmp_path / "resetkit" / "email"
    folder.mkdir(parents=True)
    (folder / "reset_password_subject.txt").write_text("Your {{ username }}\nreset link\n")
    (folder / "reset_password.txt").write_text(
        "{% autoescape off %}{{ email }}: {{ reset_url }} ({{ token }}){% endautoescape %}"
    )
    templates = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]

    with override_settings(TEMPLATES=templates):
        request_reset(api_client, "alice@example.com")

    message = mailoutbox[0]
    key = signals.keys[0]
    assert message.subject == "Your alicereset link"
    assert message.body == f"alice@example.com: https://app.example/reset?token={key} ({key})"
    # The HTML template was not overridden: the shipped one is used.
    assert "Choose a new password" in message.alternatives[0][0]


def test_without_reset_url_sending_raises_a_clear_error(user) -> None:
    with pytest.raises(ImproperlyConfigured, match=r"RESETKIT\['RESET_URL'\] is not set"):
        email.send_reset_email(sender=None, reset_password_token=a_token_for(user))


def test_a_reset_url_without_the_placeholder_raises(user) -> None:
    with (
        resetkit_overrides(RESET_URL="https://app.example/reset"),
        pytest.raises(ImproperlyConfigured, match=r"containing '\{token\}'"),
    ):
        email.send_reset_email(sender=None, reset_password_token=a_token_for(user))


def test_without_reset_url_the_answer_is_unchanged_and_the_error_logged(
    api_client, user, mailoutbox, caplog
) -> None:
    email.connect()
    try:
        response = request_reset(api_client, "alice@example.com")
    finally:
        email.disconnect()
    assert response.json() == {"status": "OK"}
    assert mailoutbox == []
    [record] = [r for r in caplog.records if r.name == "resetkit" and r.exc_info]
    assert isinstance(record.exc_info[1], ImproperlyConfigured)
    assert "RESET_URL" in str(record.exc_info[1])


def email_check_ids() -> list[str]:
    return [m.id for m in checks.run_checks() if str(m.id).startswith("resetkit_email.")]


def test_the_system_check_reports_a_missing_reset_url_while_connected() -> None:
    assert email_check_ids() == []  # not connected: not this project's concern
    email.connect()
    try:
        assert email_check_ids() == ["resetkit_email.E001"]
        with resetkit_overrides(RESET_URL="https://app.example/reset"):
            assert email_check_ids() == ["resetkit_email.E001"]
        with resetkit_overrides(RESET_URL=RESET_URL):
            assert email_check_ids() == []
    finally:
        email.disconnect()


def test_connecting_twice_sends_one_message(api_client, user, mailoutbox) -> None:
    email.connect()
    email.connect()
    try:
        with resetkit_overrides(RESET_URL=RESET_URL):
            request_reset(api_client, "alice@example.com")
    finally:
        email.disconnect()
    assert len(mailoutbox) == 1
    request_reset(api_client, "alice@example.com")
    assert len(mailoutbox) == 1  # disconnected: nothing more is sent


# -- codes ---------------------------------------------------------------------------------------


def test_connect_also_mails_codes_without_a_reset_url(api_client, user, mailoutbox) -> None:
    email.connect(links=False)
    try:
        assert [m.id for m in email.check_reset_url()] == []  # no link sent: nothing to check
        api_client.post("/api/password_reset/code/", {"email": user.email}, format="json")
    finally:
        email.disconnect()
    [message] = mailoutbox
    assert message.subject == "Your password reset code"
    [code] = re.findall(r"^([0-9]{8})$", message.body, re.MULTILINE)
    assert f"<strong>{code}</strong>" in message.alternatives[0][0]
    assert "Hello alice," in message.body


def test_the_code_mail_is_translated(api_client, user, mailoutbox) -> None:
    from django.utils import translation

    email.connect(links=False)
    try:
        with translation.override("de"):
            view_request = {"email": user.email}
            api_client.post(
                "/api/password_reset/code/", view_request, format="json", HTTP_ACCEPT_LANGUAGE="de"
            )
    finally:
        email.disconnect()
    [message] = mailoutbox
    assert message.subject == "Ihr Code zum Zurücksetzen des Passworts"


def test_the_example_url_keeps_the_token_in_the_fragment() -> None:
    assert email.EXAMPLE_URL == "https://app.example/reset#token={token}"
    with resetkit_overrides(RESET_URL=email.EXAMPLE_URL):
        assert email.build_reset_url("abc") == "https://app.example/reset#token=abc"


# -- RESET_URL as a callable: links per site, per front end ---------------------------------------

SEEN: list[tuple[str, Any, Any]] = []


def per_site_url(token: str, user: Any, request: Any) -> str:
    """A project's RESET_URL callable: the link points at the site the request came to, or at
    the front end its Origin header names."""
    SEEN.append((token, user, request))
    if request is None:
        return f"https://app.example/reset#token={token}"
    origin = request.headers.get("Origin")
    base = origin if origin in FRONT_ENDS else f"{request.scheme}://{request.get_host()}"
    return f"{base}/reset#token={token}"


FRONT_ENDS = {"https://admin.app.example", "https://shop.app.example"}
CALLABLE_PATH = f"{__name__}.per_site_url"


@pytest.fixture
def seen() -> Iterator[list[tuple[str, Any, Any]]]:
    SEEN.clear()
    yield SEEN
    SEEN.clear()


@pytest.mark.parametrize("reset_url", [per_site_url, CALLABLE_PATH], ids=["callable", "path"])
def test_a_callable_reset_url_builds_the_link_from_the_request(
    api_client, user, mailoutbox, signals, seen, reset_url
) -> None:
    email.connect()
    try:
        with resetkit_overrides(RESET_URL=reset_url):
            api_client.post(
                REQUEST_URL, {"email": user.email}, format="json", HTTP_HOST="tenant.example"
            )
            api_client.post(
                REQUEST_URL,
                {"email": user.email},
                format="json",
                HTTP_HOST="tenant.example",
                HTTP_ORIGIN="https://shop.app.example",
            )
    finally:
        email.disconnect()

    first, second = signals.keys
    assert f"http://tenant.example/reset#token={first}" in mailoutbox[0].body
    assert f'href="http://tenant.example/reset#token={first}"' in mailoutbox[0].alternatives[0][0]
    assert f"https://shop.app.example/reset#token={second}" in mailoutbox[1].body
    # Called with the raw token, the user and the request the worker sees (a copy of the
    # request's safe parts: no credentials).
    (token, called_user, request), _second = seen
    assert (token, called_user) == (first, user)
    assert request.get_host() == "tenant.example"
    assert "HTTP_COOKIE" not in request.META


def test_without_a_request_the_callable_gets_none(user, mailoutbox, seen) -> None:
    from resetkit.issuing import generate_token_for_email

    email.connect()
    try:
        with resetkit_overrides(RESET_URL=per_site_url):
            token = generate_token_for_email(user.email)
    finally:
        email.disconnect()
    assert token is not None
    assert seen == [(token.key, user, None)]
    assert f"https://app.example/reset#token={token.key}" in mailoutbox[0].body


@pytest.mark.django_db(transaction=True)
def test_a_callable_reset_url_on_the_thread_executor(user, mailoutbox, seen) -> None:
    from rest_framework.test import APIClient

    from resetkit.testing import flush_issue_jobs

    email.connect()
    try:
        with resetkit_overrides(
            RESET_URL=CALLABLE_PATH, ISSUE_EXECUTOR="resetkit.executors.ThreadExecutor"
        ):
            response = APIClient().post(
                REQUEST_URL, {"email": user.email}, format="json", HTTP_HOST="tenant.example"
            )
            flush_issue_jobs()
    finally:
        email.disconnect()
    assert response.status_code == 200
    [(token, _user, request)] = seen
    assert request.get_host() == "tenant.example"
    assert f"http://tenant.example/reset#token={token}" in mailoutbox[0].body


NOT_CALLABLE = "a string"


def test_the_system_check_accepts_a_callable_and_reports_a_bad_path() -> None:
    email.connect()
    try:
        for good in (per_site_url, CALLABLE_PATH):
            with resetkit_overrides(RESET_URL=good):
                assert email_check_ids() == []
        with resetkit_overrides(RESET_URL="myproject.links.no_such_function"):
            [message] = [m for m in checks.run_checks() if m.id == "resetkit_email.E001"]
            assert "could not import 'myproject.links.no_such_function'" in message.msg
            assert "No module named 'myproject'" in message.msg
        with resetkit_overrides(RESET_URL=f"{__name__}.NOT_CALLABLE"):
            [message] = [m for m in checks.run_checks() if m.id == "resetkit_email.E001"]
            assert "is not callable" in message.msg
        with resetkit_overrides(RESET_URL=42):
            assert email_check_ids() == ["resetkit_email.E001"]
    finally:
        email.disconnect()


def test_a_bad_path_fails_the_send_with_the_import_error(user) -> None:
    with (
        resetkit_overrides(RESET_URL="myproject.links.no_such_function"),
        pytest.raises(ImproperlyConfigured, match="could not import"),
    ):
        email.send_reset_email(sender=None, reset_password_token=a_token_for(user))


def test_the_string_form_is_unchanged_beside_the_callable(user) -> None:
    with resetkit_overrides(RESET_URL="https://app.example/r/{token}?next=/home"):
        assert email.build_reset_url("a/b", user, None) == "https://app.example/r/a%2Fb?next=/home"


# -- FROM_EMAIL ----------------------------------------------------------------------------------


def test_from_email_sends_links_and_codes(api_client, user, mailoutbox, settings) -> None:
    settings.DEFAULT_FROM_EMAIL = "default@app.example"
    email.connect()
    try:
        with resetkit_overrides(RESET_URL=RESET_URL, FROM_EMAIL="Accounts <accounts@app.example>"):
            request_reset(api_client, "alice@example.com")
            api_client.post("/api/password_reset/code/", {"email": user.email}, format="json")
        with resetkit_overrides(RESET_URL=RESET_URL):  # FROM_EMAIL unset: DEFAULT_FROM_EMAIL
            request_reset(api_client, "alice@example.com")
    finally:
        email.disconnect()
    assert [m.from_email for m in mailoutbox] == [
        "Accounts <accounts@app.example>",
        "Accounts <accounts@app.example>",
        "default@app.example",
    ]
