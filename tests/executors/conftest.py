from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.executors.views import SEEN


@pytest.fixture
def seen() -> Iterator[list[dict[str, Any]]]:
    SEEN.clear()
    yield SEEN
    SEEN.clear()
