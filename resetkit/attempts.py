"""Budgets of wrong short codes: per account identifier, and one for all clients.

A short code (six or eight digits, any generator under 64 bits) can be guessed by trying.
:class:`CodeAttempts` counts the codes presented for one account identifier (the ``email`` a
client sends with the code): each presentation reserves one attempt *before* the code is
looked at, with one atomic increment. The attempt that reaches the limit and is wrong voids
every code issued so far for that identifier, and the count starts again: of any number of
simultaneous guesses, at most ``CODE_ATTEMPT_LIMIT`` are evaluated while a code is live (those
after the voiding are looked at too, but against codes that no longer open anything), and
between two voidings an account faces at most ``CODE_ATTEMPT_LIMIT`` wrong codes.

The counter keys on a keyed digest of the *submitted* identifier, normalised as the lookup
compares it (NFKC, casefold), never on the user: an address without an account is counted
exactly like one with an account, so the counters tell nothing either.

:class:`CodeGuessBudget` is the budget of ``CODE_ONLY_LOOKUP`` (codes presented without an
identifier, as django-rest-passwordreset takes them): one counter for every client, spent by
wrong codes only (``CODE_ONLY_GUESS_RATE``).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from resetkit.counters import Hit, WindowCounter
from resetkit.digests import salted_hmac_hexdigest
from resetkit.identifiers import normalise_identifier
from resetkit.redis_client import redis_primary

__all__ = ["Attempt", "CodeAttempts", "CodeGuessBudget", "identifier_digest"]

ATTEMPTS_PREFIX = "resetkit:code-attempts"
GUESSES_PREFIX = "resetkit:code-guesses"
IDENTIFIER_SALT = "resetkit.code-attempts"


def identifier_digest(identifier: str, namespace: str = "") -> str:
    """A keyed digest of ``identifier`` as the lookup compares it (NFKC, then casefold): the
    cache never holds the address, and ``Alice@`` and ``alice@`` share one budget."""
    normalised = normalise_identifier(identifier.strip())
    return salted_hmac_hexdigest(f"{IDENTIFIER_SALT}:{namespace}", normalised)[:40]


@dataclass(frozen=True)
class Attempt:
    """One reserved (or refused) attempt for an identifier."""

    ident: str
    #: Within the budget: the code may be evaluated.
    allowed: bool
    #: This attempt used the last one of the budget: if it is wrong, the codes are revoked.
    last: bool
    #: The counter's slice the attempt was counted in, to give it back there.
    slice: int | None = None


class CodeAttempts:
    """Attempts per account identifier: ``limit`` codes per ``period`` seconds (the codes'
    lifetime). ``namespace`` separates flows (the code flow's budget is not the stock one's).

    Revoking an identifier's codes is a mark in the cache ("codes issued before now are void"),
    written and read the same way whether the identifier has an account or not: no database
    write that only a real account would cost, so the time of the attempt that spends the
    budget tells nothing either.
    """

    def __init__(
        self, limit: int, period: int, *, namespace: str = "", cache_alias: str = "default"
    ) -> None:
        prefix = f"{ATTEMPTS_PREFIX}:{namespace}" if namespace else ATTEMPTS_PREFIX
        self.counter = WindowCounter(
            prefix, max(int(limit), 0), max(int(period), 1), cache_alias=cache_alias
        )
        self.namespace = namespace
        self.period = max(int(period), 1)

    def reserve(self, identifier: str) -> Attempt:
        """Count one attempt for ``identifier``; refused (and not counted) over the limit."""
        ident = identifier_digest(identifier, self.namespace)
        hit = self.counter.hit(ident)
        last = hit.allowed and hit.count >= self.counter.limit
        return Attempt(ident, hit.allowed, last, hit.slice)

    def release(self, attempt: Attempt) -> None:
        """Give a successful attempt back (a right code checked with validate)."""
        if attempt.allowed:
            self.counter.give_back(attempt.ident, attempt.slice)

    def clear(self, attempt: Attempt) -> None:
        """Start the count again: after a reset, or once the account's codes are revoked."""
        self.counter.reset(attempt.ident)

    def revoked_key(self, attempt: Attempt) -> str:
        return f"{self.counter.prefix}:revoked:{attempt.ident}"

    def revoke(self, attempt: Attempt) -> None:
        """Void every code issued so far for ``attempt``'s identifier. The count goes on until
        :meth:`clear` starts it again: attempts reserved after that read this mark first."""
        self.counter.cache.set(
            self.revoked_key(attempt), timezone.now().timestamp(), self.period + 1
        )

    def revoked_since(self, attempt: Attempt) -> float | None:
        """When the identifier's codes were last revoked (a timestamp), or ``None``."""
        key = self.revoked_key(attempt)
        # From the primary on Redis: a replica may not have the mark a moment-old revoke wrote.
        primary = redis_primary(self.counter.cache)
        if primary is not None:
            (stored,) = primary.get_many_raw([key])
            stamp = primary.loads(stored)
        else:
            stamp = self.counter.cache.get(key)
        return float(stamp) if stamp is not None else None


class CodeGuessBudget:
    """Wrong codes per period over every client, for ``CODE_ONLY_LOOKUP`` (one counter)."""

    IDENT = "all"

    def __init__(self, limit: int, period: int, *, cache_alias: str = "default") -> None:
        self.counter = WindowCounter(
            GUESSES_PREFIX, max(int(limit), 0), period, cache_alias=cache_alias
        )

    def reserve(self) -> Hit:
        """Count one guess; not ``allowed`` when the budget is spent (then nothing is
        evaluated)."""
        return self.counter.hit(self.IDENT)

    def release(self, guess: Hit) -> None:
        """Give a right code's guess back: only wrong codes spend the budget."""
        if guess.allowed:
            self.counter.give_back(self.IDENT, guess.slice)
