"""The browsable API: each endpoint, opened in a browser, offers a form that works.

A browser sends ``Accept: text/html``; DRF then renders a page with an HTML form for POST.
These tests read the form as a browser would (fields, input types, where it posts) and go
through a whole reset with it, form-encoded, on the plain URLs and on the router's.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.contrib.auth import get_user_model

pytestmark = pytest.mark.django_db

PLAIN = {
    "request": "/api/password_reset/",
    "validate": "/api/password_reset/validate_token/",
    "confirm": "/api/password_reset/confirm/",
}
ROUTER = {
    "request": "/router/api/auth/passwordreset/",
    "validate": "/router/api/auth/passwordreset/validate_token/",
    "confirm": "/router/api/auth/passwordreset/confirm/",
}
URLS = sorted(PLAIN.values()) + sorted(ROUTER.values())
STEP_OF = {url: step for urls in (PLAIN, ROUTER) for step, url in urls.items()}
# The inputs of each step's form, by name, with the type a browser gets.
FIELDS = {
    "request": {"email": "email"},
    "validate": {"token": "text"},
    "confirm": {"token": "text", "password": "password"},
}
NEW_PASSWORD = "a-new-Passw0rd-from-the-form"


class Form:
    def __init__(self, attrs: dict[str, str | None]) -> None:
        self.attrs = attrs
        self.inputs: dict[str, dict[str, str | None]] = {}


class FormParser(HTMLParser):
    """Collects each ``<form>`` of a page with its named ``<input>`` elements."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._open: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "form":
            self._open = Form(dict(attrs))
            self.forms.append(self._open)
        elif tag == "input" and self._open is not None:
            named = dict(attrs)
            if named.get("name"):
                self._open.inputs[str(named["name"])] = named

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def html_form(response: Any, url: str) -> Form:
    """The page's HTML form (not the raw-data one) that POSTs to ``url``."""
    assert response["Content-Type"].startswith("text/html")
    parser = FormParser()
    parser.feed(response.content.decode())
    forms = [
        form
        for form in parser.forms
        if form.attrs.get("method") == "POST"
        and form.attrs.get("action") == url
        and form.attrs.get("enctype") == "multipart/form-data"
    ]
    assert len(forms) == 1, [form.attrs for form in parser.forms]
    return forms[0]


def input_types(form: Form) -> dict[str, str | None]:
    return {
        name: attrs.get("type")
        for name, attrs in form.inputs.items()
        if name != "csrfmiddlewaretoken"
    }


@pytest.mark.parametrize("url", URLS)
def test_get_shows_the_form(api_client, url: str) -> None:
    """POST is the only method, so a GET answers 405, with the form to POST."""
    response = api_client.get(url, HTTP_ACCEPT="text/html")
    assert response.status_code == 405
    assert input_types(html_form(response, url)) == FIELDS[STEP_OF[url]]


@pytest.mark.parametrize("url", URLS)
def test_post_answers_with_the_result_and_the_form_again(api_client, url: str) -> None:
    data = {"email": "nobody@example.com", "token": "no-such-token", "password": NEW_PASSWORD}
    fields = {name: data[name] for name in FIELDS[STEP_OF[url]]}
    response = api_client.post(url, fields, HTTP_ACCEPT="text/html")
    assert response.status_code == (200 if STEP_OF[url] == "request" else 404)
    assert input_types(html_form(response, url)) == FIELDS[STEP_OF[url]]


@pytest.mark.parametrize("urls", [PLAIN, ROUTER], ids=["plain", "router"])
def test_a_whole_reset_through_the_forms(api_client, user, signals, urls) -> None:
    def submit(step: str, **fields: str) -> Any:
        response = api_client.post(urls[step], fields, HTTP_ACCEPT="text/html")
        html_form(response, urls[step])
        return response

    assert submit("request", email=user.email).status_code == 200
    (key,) = signals.keys
    validated = submit("validate", token=key)
    assert validated.status_code == 200
    assert "&quot;status&quot;: &quot;OK&quot;" in validated.content.decode()
    assert submit("confirm", token=key, password=NEW_PASSWORD).status_code == 200
    user = get_user_model()._default_manager.get(pk=user.pk)
    assert user.check_password(NEW_PASSWORD)


def test_a_rejected_password_is_shown_next_to_its_field(api_client, user, signals) -> None:
    api_client.post(PLAIN["request"], {"email": user.email}, HTTP_ACCEPT="text/html")
    response = api_client.post(
        PLAIN["confirm"], {"token": signals.keys[0], "password": "123"}, HTTP_ACCEPT="text/html"
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "This password is too short" in html
    assert input_types(html_form(response, PLAIN["confirm"])) == FIELDS["confirm"]


def test_a_rejected_password_is_not_written_back_into_the_page(api_client) -> None:
    """A page with a typed password in its source can end up in caches and history."""
    typed = "s3cret-Typed-in-the-form"
    response = api_client.post(
        PLAIN["confirm"], {"token": "", "password": typed}, HTTP_ACCEPT="text/html"
    )
    assert response.status_code == 400
    assert typed not in response.content.decode()
