"""pytest fixtures for projects that use resetkit: ``pytest_plugins = ["resetkit.pytest_plugin"]``.

* ``issued_tokens``: the tokens issued during the test, with their raw keys
  (:func:`resetkit.testing.capture_issued_tokens`); the request endpoint's work runs at once.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from resetkit.testing import IssuedTokens, capture_issued_tokens


@pytest.fixture
def issued_tokens() -> Iterator[IssuedTokens]:
    """Every reset token issued during the test, in order (``issued_tokens.last.key``)."""
    with capture_issued_tokens() as tokens:
        yield tokens
