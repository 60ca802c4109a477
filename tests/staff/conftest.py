"""Fixtures of the staff API tests: staff and non-staff clients, and a few token rows."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from resetkit.backends.orm import ORMTokenStore
from resetkit.models import ResetPasswordToken

LIST_URL = "/staff/tokens/"
REVOKE_URL = "/staff/revoke/"


def grant(user: Any, *actions: str) -> Any:
    """Give ``user`` the token model's permission for each of ``actions`` ("view", "delete")."""
    from django.contrib.auth.models import Permission

    codenames = [f"{action}_resetpasswordtoken" for action in actions]
    perms = Permission.objects.filter(content_type__app_label="resetkit", codename__in=codenames)
    assert perms.count() == len(codenames)
    user.user_permissions.add(*perms)
    return user


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def staff_client(make_user: Callable[..., Any]) -> APIClient:
    """A staff user with the admin's permissions to view and delete token rows."""
    staff = make_user(email="staff@example.com", username="staff", is_staff=True)
    return client_for(grant(staff, "view", "delete"))


@pytest.fixture
def member_client(make_user: Callable[..., Any]) -> APIClient:
    """A logged-in user without ``is_staff``."""
    client = APIClient()
    client.force_login(make_user(email="member@example.com", username="member"))
    return client


@pytest.fixture
def alice(make_user: Callable[..., Any]) -> Any:
    return make_user(email="Alice@example.com", username="alice")


@pytest.fixture
def bob(make_user: Callable[..., Any]) -> Any:
    return make_user(email="bob@example.org", username="bob")


@pytest.fixture
def rows(alice: Any, bob: Any, clock: Any) -> dict[str, Any]:
    """Four ORM rows, 25 h / 10 h / 1 h / 0 h old (the first one expired under the default 24 h).

    ``clock`` is left at the time the newest row was made.
    """
    store = ORMTokenStore()
    made = {}
    plan = [
        ("alice_old", alice, "198.51.100.1", "Old/1.0", 25),
        ("bob_mid", bob, "2001:db8::7", "Mid/2.0", 10),
        ("alice_new", alice, "203.0.113.5", "New/3.0", 1),
        ("bob_new", bob, "203.0.113.5", "Newest/4.0", 0),
    ]
    start = store.now()
    for name, user, ip, agent, hours_ago in plan:
        clock.move_to(start - timedelta(hours=hours_ago), tick=False)
        key = f"{name}-key-0123456789abcdef"
        made[name] = store.create_token(user, key, ip_address=ip, user_agent=agent)
    clock.move_to(start, tick=False)
    assert ResetPasswordToken.objects.count() == 4
    return made


def ids(response: Any) -> list[Any]:
    """The ``id`` of each listed row, in order."""
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def pks(*tokens: Any) -> list[Any]:
    return [token.pk for token in tokens]
