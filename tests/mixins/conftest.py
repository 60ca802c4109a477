"""Fixtures for the mixin tests: an outstanding token, and a view called as a server would."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory


@pytest.fixture
def key(api_client: Any, user: Any, signals: Any) -> str:
    """The raw token of a reset requested for ``user``."""
    api_client.post("/api/password_reset/", {"email": "alice@example.com"}, format="json")
    return str(signals.keys[0])


def call(view: Any, data: Any) -> Response:
    """POST ``data`` as JSON straight to ``view``."""
    response: Response = view(APIRequestFactory().post("/view/", data, format="json"))
    return response
