"""Codes are bound to their account and counted per account identifier, on every store.

Each test runs once per token store (``store_kind``: the ORM store and the cache store on the
test cache), configured globally: the code flow builds the configured store in its own
namespace.
"""

from __future__ import annotations

import pytest

from resetkit.attempts import ATTEMPTS_PREFIX, identifier_digest
from resetkit.counters import WindowCounter
from resetkit.mixins import INVALID_TOKEN_ERROR
from tests.codes.conftest import confirm, request_code, validate, wrong_codes
from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db

GENERIC_404 = {"detail": str(INVALID_TOKEN_ERROR)}


@pytest.fixture(autouse=True)
def _every_store(_unthrottled: None, store_kind: str) -> str:
    return store_kind


def attempts_of(email: str) -> float:
    """The count of the code flow's attempt budget for ``email`` (any case)."""
    counter = WindowCounter(f"{ATTEMPTS_PREFIX}:code", 5, 900)
    return counter.peek(identifier_digest(email, "code"))


def test_the_code_works_only_with_its_accounts_address(api_client, user, make_user) -> None:
    bob = make_user(email="bob@example.com")
    code = request_code(api_client, user.email)

    for email in (bob.email, "nobody@example.com"):
        for answer in (validate(api_client, email, code), confirm(api_client, email, code)):
            assert (answer.status_code, answer.json()) == (404, GENERIC_404)
    bob.refresh_from_db()
    assert bob.check_password("old-Passw0rd!")
    # Matched as the request endpoint matches: case-insensitively.
    assert validate(api_client, user.email.upper(), code).status_code == 200
    assert confirm(api_client, user.email, code).status_code == 200


def test_right_code_wrong_address_is_a_wrong_code(api_client, user, make_user) -> None:
    """Same answer, and the same count, on the address it was sent with; the owner's count is
    untouched."""
    make_user(email="bob@example.com")
    code = request_code(api_client, user.email)
    [wrong] = wrong_codes(1, code)

    right_code_wrong_address = validate(api_client, "bob@example.com", code)
    wrong_code = validate(api_client, "bob@example.com", wrong)

    assert right_code_wrong_address.status_code == wrong_code.status_code == 404
    assert right_code_wrong_address.json() == wrong_code.json() == GENERIC_404
    assert attempts_of("bob@example.com") == 2
    assert attempts_of(user.email) == 0


def test_unknown_addresses_count_like_known_ones(api_client, user) -> None:
    request_code(api_client, user.email)
    known = [validate(api_client, user.email, code) for code in wrong_codes(3)]
    unknown = [validate(api_client, "nobody@example.com", code) for code in wrong_codes(3)]

    assert [(a.status_code, a.json()) for a in known] == [
        (a.status_code, a.json()) for a in unknown
    ]
    assert attempts_of(user.email) == attempts_of("NOBODY@example.com") == 3


def test_five_wrong_codes_revoke_every_code_of_the_account(api_client, user) -> None:
    first = request_code(api_client, user.email)
    second = request_code(api_client, user.email)

    for code in wrong_codes(5, first, second):
        assert confirm(api_client, user.email, code).status_code == 404

    assert validate(api_client, user.email, first).status_code == 404
    assert confirm(api_client, user.email, second).status_code == 404
    user.refresh_from_db()
    assert user.check_password("old-Passw0rd!")
    # The count started again with the revocation: a new code works.
    assert confirm(api_client, user.email, request_code(api_client, user.email)).status_code == 200


def test_four_wrong_codes_leave_the_right_one_working(api_client, user) -> None:
    code = request_code(api_client, user.email)
    for wrong in wrong_codes(4, code):
        assert validate(api_client, user.email, wrong).status_code == 404
    assert confirm(api_client, user.email, code).status_code == 200


def test_unknown_address_reaching_the_limit_answers_the_same(api_client, user) -> None:
    request_code(api_client, user.email)
    known = [validate(api_client, user.email, code).status_code for code in wrong_codes(7)]
    unknown = [validate(api_client, "nobody@example.com", c).status_code for c in wrong_codes(7)]
    assert known == unknown == [404] * 7


def test_a_successful_validate_gives_its_attempt_back(api_client, user) -> None:
    code = request_code(api_client, user.email)
    for wrong in wrong_codes(4, code):
        validate(api_client, user.email, wrong)
    assert attempts_of(user.email) == 4

    for _ in range(3):
        assert validate(api_client, user.email, code).status_code == 200
    assert attempts_of(user.email) == 4
    assert confirm(api_client, user.email, code).status_code == 200


def test_a_rejected_password_costs_no_attempt(api_client, user) -> None:
    code = request_code(api_client, user.email)
    for wrong in wrong_codes(4, code):
        confirm(api_client, user.email, wrong)

    weak = confirm(api_client, user.email, code, "123")

    assert weak.status_code == 400
    assert set(weak.json()) == {"password"}
    assert attempts_of(user.email) == 4
    assert confirm(api_client, user.email, code).status_code == 200


def test_a_successful_reset_clears_the_count(api_client, user) -> None:
    code = request_code(api_client, user.email)
    for wrong in wrong_codes(4, code):
        confirm(api_client, user.email, wrong)
    assert confirm(api_client, user.email, code).status_code == 200
    assert attempts_of(user.email) == 0


def test_counts_are_per_account(api_client, user, make_user) -> None:
    bob = make_user(email="bob@example.com")
    alice_code = request_code(api_client, user.email)
    bob_code = request_code(api_client, bob.email)

    for wrong in wrong_codes(4, alice_code):
        confirm(api_client, user.email, wrong)
    for wrong in wrong_codes(5, bob_code):
        confirm(api_client, bob.email, wrong)

    assert confirm(api_client, bob.email, bob_code).status_code == 404
    assert confirm(api_client, user.email, alice_code).status_code == 200


def test_the_limit_follows_the_setting(api_client, user) -> None:
    code = request_code(api_client, user.email)
    with resetkit_overrides(CODE_ATTEMPT_LIMIT=2):
        for wrong in wrong_codes(2, code):
            validate(api_client, user.email, wrong)
        assert validate(api_client, user.email, code).status_code == 404


def test_binding_holds_under_code_only_lookup(api_client, user) -> None:
    """``CODE_ONLY_LOOKUP`` concerns the stock endpoints; the code flow always binds."""
    with resetkit_overrides(CODE_ONLY_LOOKUP=True):
        code = request_code(api_client, user.email)
        assert validate(api_client, "nobody@example.com", code).status_code == 404
        missing = api_client.post(
            "/api/password_reset/code/validate/", {"code": code}, format="json"
        )
        assert missing.status_code == 400
        assert set(missing.json()) == {"email"}
        assert validate(api_client, user.email, code).status_code == 200


def work_of(client, email: str, code: str) -> tuple[int, list[str]]:
    """The answer's status and the SQL statements one validate ran, literals stripped."""
    import re

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        status = validate(client, email, code).status_code
    shapes = [re.sub(r"'[^']*'|\b\d+\b", "?", query["sql"]) for query in queries.captured_queries]
    return status, shapes


def test_another_accounts_code_costs_what_an_unknown_code_costs(
    api_client, user, make_user
) -> None:
    """The database sees the same statements for a wrong code, for the right code of another
    account, and for an address without an account: a client cannot time its way to learning
    that a code is live somewhere."""
    make_user(email="bob@example.com")
    code = request_code(api_client, user.email)
    [wrong] = wrong_codes(1, code)

    work = {
        "wrong code": work_of(api_client, "bob@example.com", wrong),
        "another account's code": work_of(api_client, "bob@example.com", code),
        "no account": work_of(api_client, "nobody@example.com", code),
    }
    assert {status for status, _ in work.values()} == {404}
    assert len({tuple(shapes) for _, shapes in work.values()}) == 1, work


def test_the_last_wrong_code_costs_the_same_with_or_without_an_account(api_client, user) -> None:
    """The attempt that spends the budget voids the codes with a mark in the cache, for an
    address with an account or without: no database write only a real account would cost."""
    request_code(api_client, user.email)
    codes = wrong_codes(5)
    for code in codes[:4]:
        validate(api_client, user.email, code)
        validate(api_client, "nobody@example.com", code)
    assert work_of(api_client, user.email, codes[4]) == work_of(
        api_client, "nobody@example.com", codes[4]
    )
