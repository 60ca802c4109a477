"""Names the benchmark's accounts and tokens follow, shared by ``run.py`` and the agent."""

from __future__ import annotations

import hashlib


def key_for(n: int) -> str:
    """The known token of benchmark user ``n`` (40 hex characters, like upstream's)."""
    return hashlib.sha256(f"bench-token-{n}".encode()).hexdigest()[:40]


def email_for(n: int) -> str:
    return f"user{n}@example.com"


def keys(count: int) -> list[str]:
    """The tokens of users 1..count, which ``perf_agent.py setup --tokens`` issues."""
    return [key_for(n) for n in range(1, count + 1)]
