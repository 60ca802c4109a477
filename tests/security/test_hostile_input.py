"""Hostile input of any shape gets a 4xx with a JSON body: never a 500, never a stray write.

Hypothesis posts arbitrary JSON values, raw bytes under every content type, and arbitrary
client-address and user-agent headers to every endpoint (the ``include()``-ed URLs and the
router's). After each request:

* the status is below 500, and a 4xx carries a JSON object;
* no token row appeared unless the request named an existing account (and then only for the
  accounts it names), none vanished, and no password changed;
* nothing was logged at ERROR by resetkit, so the work done after the answer (lookup, issue,
  delivery) did not fail either.

The explicit examples below list each input the security model names, so a regression reads
as a named case rather than a shrunk random one.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import unicodedata
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework import serializers
from rest_framework.test import APIClient, APIRequestFactory

from resetkit.models import ResetPasswordToken
from resetkit.views import ResetPasswordRequestToken
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

REQUEST_URLS = (
    reverse("password_reset:reset-password-request"),
    reverse("reset-password-request-list"),
)
TOKEN_URLS = (
    reverse("password_reset:reset-password-validate"),
    reverse("password_reset:reset-password-confirm"),
    reverse("reset-password-validate-list"),
    reverse("reset-password-confirm-list"),
)
ALL_URLS = REQUEST_URLS + TOKEN_URLS
REQUEST_URL, VALIDATE_URL, CONFIRM_URL = REQUEST_URLS[0], TOKEN_URLS[0], TOKEN_URLS[1]

ACCOUNTS = ("alice@example.com", "Bob.Stone@example.org")
PASSWORD = "old-Passw0rd!"


def fuzz(max_examples: int) -> settings:
    """Hypothesis settings of this module: few examples, so the file stays under a minute on
    PostgreSQL. Each test is one database transaction and its examples all run inside it."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


def same_identifier(a: str, b: str) -> bool:
    """Unicode TR 36 identifier equality (NFKC, then casefold), written out independently."""
    return (
        unicodedata.normalize("NFKC", a).casefold() == unicodedata.normalize("NFKC", b).casefold()
    )


# -- what the server holds before and after a request ---------------------------------------


class Server:
    """The accounts, the token table and the resetkit error log of one test."""

    def __init__(self, client: APIClient, caplog: pytest.LogCaptureFixture) -> None:
        self.client = client
        self.caplog = caplog
        self.users = {
            email: get_user_model()._default_manager.create_user(
                username=f"user{n}", email=email, password=PASSWORD
            )
            for n, email in enumerate(ACCOUNTS)
        }

    def tokens(self) -> set[tuple[Any, Any]]:
        return set(ResetPasswordToken.objects.values_list("pk", "user_id"))

    def passwords(self) -> dict[Any, str]:
        return dict(get_user_model()._default_manager.values_list("pk", "password"))

    def owners_of(self, data: Any) -> set[Any]:
        """Primary keys of the accounts a valid request with ``data`` may issue tokens to."""
        if not isinstance(data, dict) or not isinstance(data.get("email"), str):
            return set()
        email = data["email"].strip()
        if not email or len(email) > 254 or "\x00" in email:
            return set()
        return {user.pk for stored, user in self.users.items() if same_identifier(email, stored)}

    def post(self, url: str, body: bytes, content_type: str, *, owners: set[Any], **extra: Any):
        """POST ``body`` and check every promise of this module; return the response."""
        tokens, passwords = self.tokens(), self.passwords()
        self.caplog.clear()
        response = self.client.generic("POST", url, body, content_type=content_type, **extra)
        assert response.status_code < 500, response.content[:500]
        if response.status_code >= 400:
            assert isinstance(response.json(), dict), response.content[:500]
        # The work after the answer (lookup, issue, delivery) reports failures only here.
        errors = [r for r in self.caplog.records if r.name.split(".")[0] == "resetkit"]
        assert errors == [], [r.getMessage() for r in errors]
        after = self.tokens()
        assert tokens <= after, "a token disappeared"
        assert {user_id for _, user_id in after - tokens} <= owners, "a token for another account"
        assert self.passwords() == passwords, "a password changed"
        return response


@pytest.fixture
def server(api_client: APIClient, caplog: pytest.LogCaptureFixture) -> Iterator[Server]:
    with caplog.at_level(logging.ERROR):
        yield Server(api_client, caplog)


def post_json(server: Server, url: str, data: Any, **extra: Any) -> Any:
    body = json.dumps(data).encode()
    owners = server.owners_of(data) if url in REQUEST_URLS else set()
    return server.post(url, body, "application/json", owners=owners, **extra)


# -- strategies -----------------------------------------------------------------------------

# Every code point, lone surrogates and NUL included.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
# Up to a megabyte once encoded; bodies past Django's DATA_UPLOAD_MAX_MEMORY_SIZE have their
# own examples below.
big_text = st.builds(
    lambda char, n: char * n, st.sampled_from("a@\u00e9\x00"), st.integers(1, 1_000_000)
).filter(lambda s: len(json.dumps(s)) <= 1_100_000)

CONFUSABLES = {
    "i": "\u0131",  # dotless i
    "k": "\u212a",  # Kelvin sign (NFKC: K)
    "a": "\u0430",  # Cyrillic a
    "e": "\u0435",  # Cyrillic ie
    "o": "\u03bf",  # Greek omicron
    "l": "\u217c",  # small roman numeral fifty (NFKC: l)
    "x": "\uff58",  # fullwidth x (NFKC: x)
}


def _variant(email: str, flips: list[int]) -> str:
    """``email`` with some letters upper-cased, some swapped for look-alikes, some combined."""
    out = []
    for char, flip in zip(email, flips, strict=True):
        if flip == 1:
            out.append(char.upper())
        elif flip == 2 and char.lower() in CONFUSABLES:
            out.append(CONFUSABLES[char.lower()])
        elif flip == 3:
            out.append(char + "\u0301")  # combining acute accent
        else:
            out.append(char)
    return "".join(out)


account_variants = st.sampled_from(ACCOUNTS).flatmap(
    lambda e: st.lists(st.sampled_from([0, 0, 0, 1, 2, 3]), min_size=len(e), max_size=len(e)).map(
        lambda flips: _variant(e, flips)
    )
)
emails = (
    st.sampled_from(ACCOUNTS)
    | account_variants
    | account_variants.map(lambda e: f"  {e}\t")
    | st.emails().map(str)
    | any_text
)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | any_text
    | st.sampled_from(ACCOUNTS)
    | big_text
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            any_text | st.sampled_from(["email", "token", "password"]), children, max_size=4
        )
    ),
    max_leaves=8,
)
field_values = emails | json_values
endpoint_bodies = (
    json_values
    | st.fixed_dictionaries(
        {},
        optional={
            "email": field_values,
            "token": field_values,
            "password": field_values,
            "extra": json_values,
        },
    )
).filter(lambda data: len(json.dumps(data)) <= django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE)

CONTENT_TYPES = (
    "application/json",
    "application/json; charset=utf-16",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=BoUnDaRy",
    "multipart/form-data",
    "text/plain",
    "",  # no Content-Type header at all
)


def _multipart(name: bytes, value: bytes) -> bytes:
    return (
        b'--BoUnDaRy\r\nContent-Disposition: form-data; name="'
        + name
        + b'"\r\n\r\n'
        + value
        + b"\r\n--BoUnDaRy--\r\n"
    )


raw_bodies = (
    st.binary(max_size=2000)
    | st.binary(max_size=500).map(lambda b: b"email=" + b)
    | st.binary(max_size=500).map(lambda b: b'{"email": "' + b + b'"}')
    | st.tuples(st.binary(max_size=30), st.binary(max_size=500)).map(lambda t: _multipart(*t))
)

# What a header can hold in request.META: WSGI servers give latin-1 text; a middleware that
# copies a header there may give any text, but never a lone surrogate.
header_text = st.text(st.characters(codec="latin-1"), max_size=200) | st.text(
    st.characters(codec="utf-8"), max_size=40
)
ip_like = st.ip_addresses().map(str)
header_values = (
    header_text
    | ip_like
    | st.tuples(st.ip_addresses(v=6).map(str), header_text).map(lambda t: f"{t[0]}%{t[1]}")
    | st.lists(ip_like | header_text, min_size=1, max_size=4).map(", ".join)
)


# -- properties -----------------------------------------------------------------------------


@fuzz(300)
@given(url=st.sampled_from(ALL_URLS), data=endpoint_bodies)
def test_any_json_value_is_answered_without_error_or_stray_write(server, url, data) -> None:
    post_json(server, url, data)


@fuzz(200)
@given(url=st.sampled_from(ALL_URLS), body=raw_bodies, content_type=st.sampled_from(CONTENT_TYPES))
def test_any_bytes_under_any_content_type_are_answered_without_error(
    server, url, body, content_type
) -> None:
    server.post(url, body, content_type, owners=set())


def assert_issued_once(server: Server, before: int, client_address_header: str | None = None):
    """One new token for alice, whose recorded address is a plain IP address or nothing."""
    tokens = ResetPasswordToken.objects.filter(user=server.users["alice@example.com"])
    assert tokens.count() == before + 1
    recorded = tokens.latest("created_at").ip_address
    if client_address_header is not None and recorded is not None:
        first = client_address_header.split(",")[0].strip().split("%")[0]
        assert ipaddress.ip_address(recorded) == ipaddress.ip_address(first)


def issue_with_headers(server: Server, *, inline: bool, **headers: str) -> None:
    """Request a token for alice with ``headers``; it must be issued whatever they hold."""
    cache.clear()  # a fresh account budget: every call issues a token
    before = ResetPasswordToken.objects.filter(user=server.users["alice@example.com"]).count()
    with resetkit_overrides(
        IP_ADDRESS_HEADER="HTTP_X_FORWARDED_FOR", ISSUE_AFTER_RESPONSE=not inline
    ):
        response = post_json(server, REQUEST_URL, {"email": "alice@example.com"}, **headers)
    assert response.status_code == 200
    assert_issued_once(server, before, headers.get("HTTP_X_FORWARDED_FOR"))


@fuzz(150)
@given(forwarded_for=header_values, inline=st.booleans())
def test_any_forwarded_for_header_still_issues_a_token(server, forwarded_for, inline) -> None:
    issue_with_headers(server, inline=inline, HTTP_X_FORWARDED_FOR=forwarded_for)


@fuzz(100)
@given(user_agent=header_values, inline=st.booleans())
def test_any_user_agent_still_issues_a_token(server, user_agent, inline) -> None:
    issue_with_headers(server, inline=inline, HTTP_USER_AGENT=user_agent)


# -- the inputs the security model names, one by one -----------------------------------------

UNKNOWN_TOKEN = "0" * 64
NEW_PASSWORD = "a-new-Passw0rd-for-tests"
VALID = {
    REQUEST_URL: {"email": "alice@example.com"},
    VALIDATE_URL: {"token": UNKNOWN_TOKEN},
    CONFIRM_URL: {"token": UNKNOWN_TOKEN, "password": NEW_PASSWORD},
}
MEGABYTE = "a" * 1_000_000

NOT_A_JSON_OBJECT = {
    "not JSON": b"{not json",
    "single quotes": b"{'email': 'alice@example.com'}",
    "truncated": b'{"email": "alice@example.com"',
    "invalid UTF-8": b"\xff\xfe\x00{}",
    "NaN": b'{"email": NaN}',
    "list": b"[]",
    "list of the body": b'[{"email": "alice@example.com"}]',
    "string": b'"alice@example.com"',
    "number": b"42",
    "huge number": b"1e999999",
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
    "null": b"null",
    "true": b"true",
    "empty body": b"",
    "empty object": b"{}",
    "misspelt field": b'{"Email": "alice@example.com", "tokens": "x", "pass": "x"}',
}


@pytest.mark.parametrize("url", VALID)
@pytest.mark.parametrize("body", NOT_A_JSON_OBJECT.values(), ids=NOT_A_JSON_OBJECT.keys())
def test_a_body_that_is_not_a_json_object_is_a_4xx(server, url, body) -> None:
    response = server.post(url, body, "application/json", owners=set())
    assert 400 <= response.status_code < 500


def field_cases() -> list[Any]:
    """One bad value for each field of each endpoint, the others left valid."""
    bad_values = {
        "missing": None,
        "empty": "",
        "list": ["alice@example.com"],
        "object": {"email": "alice@example.com"},
        "number": 12,
        "true": True,
        "null": "null",
        "NUL byte": "alice\x00@example.com",
        "megabyte": MEGABYTE,
        "100 kB of NUL bytes": "\x00" * 100_000,
    }
    cases = []
    for url, valid in VALID.items():
        for field in valid:
            for name, value in bad_values.items():
                data = dict(valid)
                if value is None:
                    del data[field]
                else:
                    data[field] = None if value == "null" else value
                cases.append(pytest.param(url, data, id=f"{url}-{field}-{name}"))
    return cases


@pytest.mark.parametrize(("url", "data"), field_cases())
def test_a_missing_or_wrongly_typed_field_is_a_4xx(server, url, data) -> None:
    response = post_json(server, url, data)
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    "email",
    [
        "a" * 64 + "@" + "b" * 186 + ".com",  # 255 characters
        "a" * 64 + "@" + ("b" * 60 + ".") * 4 + "com",  # 311 characters, valid labels
        "alice" * 50 + "@example.com",  # 262 characters
        MEGABYTE + "@example.com",
    ],
    ids=["255 characters", "311 characters", "262 characters", "a megabyte"],
)
def test_an_email_over_254_characters_is_a_400(server, email) -> None:
    response = post_json(server, REQUEST_URL, {"email": email})
    assert response.status_code == 400
    assert "email" in response.json()


@pytest.mark.parametrize(
    "password",
    ["", "\x00" * 20, "long-enough\x00Passw0rd", "a" * 4097, MEGABYTE, 12345678901234, None],
    ids=["empty", "NUL bytes", "a NUL byte", "4097 characters", "a megabyte", "number", "null"],
)
def test_a_hostile_password_is_a_400_and_keeps_the_token(server, signals, password) -> None:
    post_json(server, REQUEST_URL, {"email": "alice@example.com"})
    (key,) = signals.keys
    response = post_json(server, CONFIRM_URL, {"token": key, "password": password})
    assert response.status_code == 400
    assert post_json(server, VALIDATE_URL, {"token": key}).status_code == 200


FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data; boundary=BoUnDaRy"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"email=alice%FF%FE%40example.com", FORM),
        (b"email=alice%00%40example.com", FORM),
        (b"email=" + b"a" * 1_000_000, FORM),
        (b"\x00=\x00&&&==&email", FORM),
        (_multipart(b"email", b"alice\xff@example.com"), MULTIPART),
        (_multipart(b"email", b"alice\x00@example.com"), MULTIPART),
        (b"--BoUnDaRy\r\nnot a part\r\n", MULTIPART),
        (_multipart(b"email", b"alice@example.com"), "multipart/form-data"),  # no boundary
        (
            b'--BoUnDaRy\r\nContent-Disposition: form-data; name="email"; filename="a.txt"\r\n'
            b"\r\nalice@example.com\r\n--BoUnDaRy--\r\n",
            MULTIPART,
        ),  # the address sent as a file
        (b'{"email": "alice@example.com"}', "text/plain"),
        (b'{"email": "alice@example.com"}', "application/xml"),
        (b'{"email": "alice@example.com"}', ""),  # no Content-Type
        (b'{"email": "alice@example.com"}', "application/json; charset=utf-16"),
    ],
    ids=[
        "form: invalid UTF-8",
        "form: NUL byte",
        "form: a megabyte",
        "form: junk",
        "multipart: invalid UTF-8",
        "multipart: NUL byte",
        "multipart: malformed",
        "multipart: no boundary",
        "multipart: a file",
        "text/plain",
        "application/xml",
        "no content type",
        "JSON declared as UTF-16",
    ],
)
def test_a_bad_form_multipart_or_other_body_is_a_4xx(server, body, content_type) -> None:
    response = server.post(REQUEST_URL, body, content_type, owners=set())
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"email=Alice%40Example.com", FORM),
        (_multipart(b"email", b"alice@example.com"), MULTIPART),
    ],
    ids=["form", "multipart"],
)
def test_a_well_formed_form_or_multipart_body_works(server, body, content_type) -> None:
    alice = server.users["alice@example.com"]
    response = server.post(REQUEST_URL, body, content_type, owners={alice.pk})
    assert response.status_code == 200
    assert ResetPasswordToken.objects.filter(user=alice).count() == 1


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b'{"email": "' + b"a" * 3_000_000 + b'"}', "application/json"),
        (b"&".join(b"f%d=1" % n for n in range(1200)) + b"&email=x", FORM),
        (_multipart(b"email", b"a" * 3_000_000), MULTIPART),
    ],
    ids=["JSON of 3 MB", "1200 form fields", "multipart field of 3 MB"],
)
def test_a_body_over_django_upload_limits_is_a_4xx_with_a_json_body(
    server, body, content_type
) -> None:
    """Django refuses these before any parser runs (``DATA_UPLOAD_MAX_MEMORY_SIZE``,
    ``DATA_UPLOAD_MAX_NUMBER_FIELDS``); the answer must still be the API's JSON."""
    response = server.post(REQUEST_URL, body, content_type, owners=set())
    assert 400 <= response.status_code < 500


# Stored address, submitted address, whether the two are one identifier (NFKC + casefold).
LOOK_ALIKES = [
    ("alice@example.com", "al\u0131ce@example.com", False),  # dotless i: PostgreSQL's UPPER() is I
    ("alice@example.com", "AL\u0130CE@example.com", False),  # capital I with dot
    ("alice@example.com", "alice@ex\u0430mple.com", False),  # Cyrillic a in the domain
    ("alice@example.com", "alice@exa\u0301mple.com", False),  # combining acute accent
    ("alice@example.com", "alice@\uff45xample.com", True),  # fullwidth e: NFKC makes it e
    ("alice@example.com", "\uff41lice@example.com", True),  # fullwidth a in the local part
    ("kelvin@example.com", "\u212aelvin@example.com", True),  # Kelvin sign: NFKC makes it K
    ("\u212aelvin@example.com", "kelvin@example.com", True),  # and the other way round
    ("alice@ex\u00e1mple.com", "alice@exa\u0301mple.com", True),  # composed vs decomposed
    ("alice@ex\u00e1mple.com", "alice@example.com", False),  # accent dropped
    ("stra\u00dfe@example.com", "strasse@example.com", True),  # casefold: sharp s is ss
    ("admin@example.com", "adm\u0131n@example.com", False),  # CVE-2019-19844's example
]


class AnyText(serializers.Serializer):
    """The request body without the e-mail syntax check (as for a lookup by username)."""

    email = serializers.CharField(max_length=254)


class EveryAccountIsACandidate(ResetPasswordRequestToken):
    """The request view with the loosest candidate query there is: every account.

    The database's case-insensitive match differs between databases (SQLite's ``LIKE`` folds
    ASCII only; PostgreSQL's ``UPPER()`` folds a dotless i to I; MariaDB's collations ignore
    accents), so on some of them the default query never returns a look-alike and the Unicode
    comparison (:func:`resetkit.identifiers.identifiers_match`) is never what refuses it. Here
    it is the only thing that decides who gets a token, on every database.
    """

    serializer_class = AnyText

    def get_candidate_users(self, value: str) -> Any:
        return self.get_user_queryset()


def request_with(view: Any, submitted: str) -> Any:
    response = view(APIRequestFactory().post("/", {"email": submitted}, format="json"))
    response.render()
    return response


@pytest.mark.parametrize(("stored", "submitted", "same"), LOOK_ALIKES)
def test_a_look_alike_address_never_gets_a_token_for_another_account(
    make_user, api_client, signals, stored, submitted, same
) -> None:
    """Through the real endpoint and the run's database: a token goes to the stored account
    exactly when the address is well formed, the database matched it, and it is the same
    identifier; never to anyone else."""
    account = make_user(email=stored)
    make_user(email="someone.else@example.com")
    response = api_client.post(REQUEST_URL, {"email": submitted}, format="json")
    assert response.status_code in (200, 400)
    db_matched = (
        get_user_model()._default_manager.filter(pk=account.pk, email__iexact=submitted).exists()
    )
    expected = [account.pk] if same and db_matched and response.status_code == 200 else []
    assert [token.user.pk for token in signals.tokens] == expected


@pytest.mark.parametrize(("stored", "submitted", "same"), LOOK_ALIKES)
def test_the_unicode_comparison_decides_who_gets_a_token(
    make_user, signals, stored, submitted, same
) -> None:
    """Every account is a candidate: the same identifier gets its token, a look-alike none,
    and the bystander never one, whatever the database's own matching would have said."""
    account = make_user(email=stored)
    make_user(email="someone.else@example.com")
    response = request_with(EveryAccountIsACandidate.as_view(), submitted)
    assert response.status_code == 200
    assert [token.user.pk for token in signals.tokens] == ([account.pk] if same else [])
    # A token names its account, never the submitted address.
    assert all(token.user.email == stored for token in signals.tokens)


@pytest.mark.parametrize(
    "view",
    [ResetPasswordRequestToken.as_view(), EveryAccountIsACandidate.as_view()],
    ids=["the database's match", "every account a candidate"],
)
def test_a_look_alike_account_does_not_get_the_real_accounts_token(view, make_user, signals):
    """An attacker registers a look-alike of a real address; a request for the real address
    (which PostgreSQL's ``UPPER()`` matches to both, and which the second view offers every
    account for) issues a token to the real account only."""
    real = make_user(email="admin@example.com")
    make_user(email="adm\u0131n@example.com")
    assert request_with(view, "admin@example.com").status_code == 200
    assert [token.user.pk for token in signals.tokens] == [real.pk]


NOT_AN_ADDRESS = [
    "<script>",
    "unknown",
    "",
    " , ",
    "1.2.3.4.5",
    "999.0.0.1",
    "for=192.0.2.60;proto=https",  # RFC 7239 syntax in the wrong header
    "[2001:db8::1]:443",
    "1.2.3.4\x00",
    "\x00",
    "a" * 10_000,
    "fe80::1%eth0",  # an IPv6 zone index: local to the sender's host
    "fe80::1%" + "x" * 60,
    "fe80::1%00000",
    "10.0.0.1, <script>",  # a valid first entry is recorded
]


@pytest.mark.parametrize("inline", [False, True], ids=["after the answer", "inline"])
@pytest.mark.parametrize("forwarded_for", NOT_AN_ADDRESS)
def test_a_forwarded_for_value_that_is_not_an_ip_still_issues_a_token(
    server, forwarded_for, inline
) -> None:
    issue_with_headers(server, inline=inline, HTTP_X_FORWARDED_FOR=forwarded_for)


@pytest.mark.parametrize("inline", [False, True], ids=["after the answer", "inline"])
@pytest.mark.parametrize("user_agent", ["curl/8\x00evil", "\x00" * 600, "\u00e9" * 600])
def test_a_hostile_user_agent_still_issues_a_token(server, user_agent, inline) -> None:
    issue_with_headers(server, inline=inline, HTTP_USER_AGENT=user_agent)
