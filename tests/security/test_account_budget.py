"""Each account gets at most ``ACCOUNT_TOKEN_RATE`` new tokens, however many addresses ask."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import resetkit_overrides

pytestmark = pytest.mark.django_db
URL = "/api/password_reset/"


def ask(client, email: str, ip: str = "192.0.2.1"):
    return client.post(URL, {"email": email}, format="json", REMOTE_ADDR=ip)


def test_three_tokens_an_hour_per_account_by_default(api_client, user, signals, clock) -> None:
    answers = [ask(api_client, "alice@example.com", ip=f"198.51.100.{n}") for n in range(6)]
    assert {(a.status_code, a.content) for a in answers} == {(200, b'{"status":"OK"}')}
    assert len(signals.created) == 3
    clock.shift(timedelta(minutes=61))
    ask(api_client, "alice@example.com")
    assert len(signals.created) == 4


def test_the_budget_is_per_account(api_client, user, make_user, signals) -> None:
    make_user(email="bob@example.com")
    for _ in range(4):
        ask(api_client, "alice@example.com")
    ask(api_client, "bob@example.com")
    assert sorted(t.user.email for t in signals.tokens) == ["alice@example.com"] * 3 + [
        "bob@example.com"
    ]


def test_over_budget_answer_is_the_same_as_for_an_unknown_account(api_client, user) -> None:
    for _ in range(3):
        ask(api_client, "alice@example.com")
    over = ask(api_client, "alice@example.com")
    unknown = ask(api_client, "nobody@example.com")
    assert (over.status_code, over.content) == (unknown.status_code, unknown.content)


def test_the_rate_is_configurable(api_client, user, signals) -> None:
    with resetkit_overrides(ACCOUNT_TOKEN_RATE="1/day"):
        ask(api_client, "alice@example.com")
        ask(api_client, "alice@example.com")
    assert len(signals.created) == 1


def test_none_disables_the_budget(api_client, user, signals) -> None:
    with resetkit_overrides(ACCOUNT_TOKEN_RATE=None):
        for _ in range(5):
            ask(api_client, "alice@example.com")
    assert len(signals.created) == 5


def test_legacy_mode_does_not_reveal_the_budget(api_client, user, signals) -> None:
    """An exhausted budget is still an existing account: the legacy mode answers 200."""
    with resetkit_overrides(NO_INFORMATION_LEAKAGE=False, ACCOUNT_TOKEN_RATE="1/hour"):
        assert ask(api_client, "alice@example.com").status_code == 200
        assert ask(api_client, "alice@example.com").status_code == 200
    assert len(signals.created) == 1


def test_a_bad_rate_is_reported_by_a_check() -> None:
    from resetkit.checks import check_settings

    with resetkit_overrides(ACCOUNT_TOKEN_RATE="often"):
        ids = [m.id for m in check_settings()]
    assert "resetkit.E010" in ids


# -- the budget object ---------------------------------------------------------------------------


def test_the_budget_lives_in_its_own_module_and_is_still_importable_from_throttling() -> None:
    from resetkit import budgets, throttling

    assert throttling.AccountTokenBudget is budgets.AccountTokenBudget


def test_consume_and_clear(clock) -> None:
    from types import SimpleNamespace

    from resetkit.budgets import AccountTokenBudget

    alice, bob = SimpleNamespace(pk=1), SimpleNamespace(pk="2b5c")
    budget = AccountTokenBudget("2/hour")
    assert [budget.consume(alice) for _ in range(3)] == [True, True, False]
    assert budget.consume(bob) is True
    assert budget.clear(alice) is True
    assert budget.clear(alice) is False
    assert [budget.consume(alice) for _ in range(3)] == [True, True, False]
    clock.shift(timedelta(hours=1, minutes=1, seconds=1))  # an hour and one slice
    assert budget.consume(alice) is True


def test_no_rate_no_budget() -> None:
    from types import SimpleNamespace

    from resetkit.budgets import AccountTokenBudget

    budget = AccountTokenBudget(None)
    assert all(budget.consume(SimpleNamespace(pk=1)) for _ in range(10))
    assert budget.clear(SimpleNamespace(pk=1)) is False


def test_requests_refused_over_the_budget_do_not_extend_it(api_client, user, signals, clock):
    """Asking again and again while the budget is spent does not push it further away."""
    for _ in range(3):
        ask(api_client, "alice@example.com")
    for _ in range(20):
        clock.shift(timedelta(minutes=2))
        ask(api_client, "alice@example.com")
    assert len(signals.created) == 3
    clock.shift(timedelta(minutes=22))  # 62 minutes after the first three
    ask(api_client, "alice@example.com")
    assert len(signals.created) == 4
