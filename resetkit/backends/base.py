"""The contract every token store keeps.

A store holds outstanding reset tokens between the request and the confirm step. Like Django's
``BaseCache`` it has a small required core (:meth:`create_token`, :meth:`get_token`,
:meth:`consume_token`, :meth:`revoke_user_tokens`) and defaults for the rest, which a store
overrides where it can do better (:meth:`consume_and_revoke` in one statement, say). Every
store:

* keeps a keyed digest of the token, never the token (:mod:`resetkit.digests`);
* enforces expiry on every read and deletes an expired token when it is presented;
* consumes atomically: of any number of concurrent consumers of one token, one wins;
* takes "now" from :func:`django.utils.timezone.now`, so tests can move time;
* raises :class:`~resetkit.exceptions.StoreUnavailable` (and nothing else) when its database or
  cache cannot be reached: decorate each method that touches it with :func:`outage_boundary`.

**Policy at construction.** A store reads no settings: its policy comes through its
constructor, as a Django cache backend's comes through ``params``, so one process can hold two
differently configured stores. ``lifetime`` (a ``timedelta``) is how long a token lives; the
factory (:func:`resetkit.backends.get_token_store` / ``build_token_store``) passes
``TOKEN_EXPIRY_HOURS`` as read when the store is built, once per request. A store built
directly without ``lifetime`` uses :data:`DEFAULT_LIFETIME` (24 hours, upstream's default).
``namespace`` gives a flow a key space of its own.

**Capabilities** say what a store can do beyond the contract, so callers ask the store instead
of testing its class:

* :attr:`BaseTokenStore.lists_tokens`: its tokens are rows of
  ``resetkit.models.ResetPasswordToken``, which the admin and the staff API list by user and
  date (the ORM store);
* :attr:`BaseTokenStore.expires_by_itself`: its entries vanish on their own when they expire,
  so :meth:`~BaseTokenStore.clear_expired` has nothing to do (the cache store);
* :meth:`BaseTokenStore.check`: system-check messages about its configuration (the cache store
  reports a cache that loses tokens).

Stores know nothing of DRF: they work from a plain Django view or a task.
"""

from __future__ import annotations

import copy
import functools
import inspect
import math
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, TypeVar

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from resetkit.backends.tokens import DuplicateTokenError, ResetToken, ResetTokenLike
from resetkit.digests import (
    candidate_digests,
    password_fingerprint,
    password_fingerprint_matches,
    token_digest,
)
from resetkit.exceptions import unavailable_on_outage

#: How long a token lives in a store built without ``lifetime`` (the factory always passes one).
DEFAULT_LIFETIME = timedelta(hours=24)

_Method = TypeVar("_Method", bound=Callable[..., Any])


def outage_boundary(method: _Method) -> _Method:
    """Decorate a store method so that an unreachable database or cache raises
    :class:`~resetkit.exceptions.StoreUnavailable` (``from`` the client's error). Schema errors
    and every other error pass through. Generator methods are guarded while they are iterated.
    """
    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def generator(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
            with unavailable_on_outage(type(self).__name__):
                yield from method(self, *args, **kwargs)

        return generator  # type: ignore[return-value]

    @functools.wraps(method)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        with unavailable_on_outage(type(self).__name__):
            return method(self, *args, **kwargs)

    return guarded  # type: ignore[return-value]


def is_expiry_hours(value: Any) -> bool:
    """Whether ``value`` is a usable ``TOKEN_EXPIRY_HOURS``: any real number of hours (zero or
    less makes tokens that are born expired, as upstream accepts)."""
    return not isinstance(value, bool) and isinstance(value, int | float) and value == value


__all__ = [
    "BaseTokenStore",
    "DuplicateTokenError",
    "ResetToken",
    "ResetTokenLike",
    "is_expiry_hours",
    "outage_boundary",
]


class BaseTokenStore:
    """Base class for token stores; subclasses implement the four required methods.

    Every store takes two options of its policy: ``lifetime`` (a ``timedelta``; ``None``:
    :data:`DEFAULT_LIFETIME`; the factory passes ``TOKEN_EXPIRY_HOURS``) and ``namespace`` (a
    key space of its own, so that a flow such as the e-mail + code flow never sees the tokens
    of another). It reads no settings itself.
    """

    #: Capability: the tokens are rows of ``resetkit.models.ResetPasswordToken``, which the
    #: admin and the staff API list and filter by user and date.
    lists_tokens: ClassVar[bool] = False
    #: Capability: entries vanish by themselves when they expire (a cache's TTL), so
    #: :meth:`clear_expired` has nothing to do and no cleanup job is needed.
    expires_by_itself: ClassVar[bool] = False

    def __init__(
        self, *, lifetime: timedelta | None = None, namespace: str = "", **options: Any
    ) -> None:
        if options:
            raise ImproperlyConfigured(
                f"{type(self).__name__} got unknown option(s): {', '.join(sorted(options))}."
            )
        if lifetime is not None and not isinstance(lifetime, timedelta):
            raise ImproperlyConfigured(
                f"{type(self).__name__}: lifetime must be a timedelta, not {lifetime!r}."
            )
        if not isinstance(namespace, str):
            raise ImproperlyConfigured(
                f"{type(self).__name__}: namespace must be a string, not {namespace!r}."
            )
        self.lifetime: timedelta = DEFAULT_LIFETIME if lifetime is None else lifetime
        self.namespace = namespace

    # -- required ----------------------------------------------------------------------------

    def create_token(
        self, user: Any, key: str, *, ip_address: str | None = None, user_agent: str = ""
    ) -> ResetTokenLike:
        """Store a new token for ``user`` and return it with ``.key`` set to ``key``."""
        raise NotImplementedError(
            "subclasses of BaseTokenStore must provide a create_token() method"
        )

    def get_token(self, key: str) -> ResetTokenLike | None:
        """Return the live token for ``key`` (with ``.user`` loaded), or ``None``.

        An expired token is deleted here and reported as ``None``.
        """
        raise NotImplementedError("subclasses of BaseTokenStore must provide a get_token() method")

    def consume_token(self, token: ResetTokenLike) -> bool:
        """Remove ``token``; return ``True`` for exactly one of any concurrent callers."""
        raise NotImplementedError(
            "subclasses of BaseTokenStore must provide a consume_token() method"
        )

    def revoke_user_tokens(self, user: Any) -> None:
        """Make every outstanding token of ``user`` unusable."""
        raise NotImplementedError(
            "subclasses of BaseTokenStore must provide a revoke_user_tokens() method"
        )

    # -- defaulted ---------------------------------------------------------------------------

    def database_alias(self) -> str | None:
        """The database this store writes its tokens to, which a reset's transaction must
        span (:func:`resetkit.locking.reset_transaction`); ``None`` for a store outside any
        database."""
        return None

    def for_validation(self) -> BaseTokenStore:
        """The store the validate step looks tokens up with: this one, unless a store offers a
        reader that may lag (the ORM store's ``validate_reads_from_replica``)."""
        return self

    def build_token(
        self,
        key: str,
        digest: str,
        user: Any,
        created_at: datetime,
        ip_address: str | None,
        user_agent: str,
        password_fingerprint: str,
    ) -> ResetToken:
        """A :class:`ResetToken` of this store, its expiry derived from ``created_at``."""
        return ResetToken(
            key=key,
            digest=digest,
            user=user,
            created_at=created_at,
            expires_at=self.expires_at(created_at),
            ip_address=ip_address or None,
            user_agent=user_agent,
            password_fingerprint=password_fingerprint,
        )

    def get_token_for_users(self, key: str, users: Sequence[Any]) -> ResetTokenLike | None:
        """Return the live token for ``key`` if it belongs to one of ``users``, else ``None``.

        How a short code is checked against the account it is presented with. The default
        looks the key up and compares owners; a store whose entries name their owner cheaply
        overrides it to skip loading another account's user (the cache store does), so a
        code of another account costs what an unknown code costs.
        """
        token = self.get_token(key)
        if token is None or token.user.pk not in {user.pk for user in users}:
            return None
        return token

    def consume_and_revoke(self, token: ResetTokenLike) -> bool:
        """Consume ``token`` and revoke every other token of its user; return whether this
        call consumed it (``True`` for exactly one of any concurrent callers).

        What a successful reset does to the store. Call it inside ``transaction.atomic()``
        with the password change, and go no further when it returns ``False``: leave the
        block by raising, as ``PasswordConfirmMixin.perform_reset`` does. A store may have
        revoked before finding the token gone and rely on that rollback to undo it (the ORM
        store marks the block for rollback); outside a block it undoes that itself. A store
        outside the database (a cache) cannot be rolled back: its revocation stands even if
        the password change then fails, which costs the user a new request, never an
        account.

        The default consumes, then revokes. Override it to do both in one step.
        """
        if not self.consume_token(token):
            return False
        self.revoke_user_tokens(token.user)
        return True

    def clear_expired(self, limit: int | None = None) -> int:
        """Delete up to ``limit`` expired tokens, oldest first (all when ``None``); return how
        many. The request endpoint calls it with a small ``limit`` on every request, so it
        must cost the same whatever the backlog.

        The default suits stores whose entries expire by themselves, such as a cache.
        """
        return 0

    def clear_expired_in_batches(self, batch_size: int) -> Iterator[int]:
        """Delete the tokens expired now, ``batch_size`` at a time; yield each batch's count.

        Used by the ``clearresetpasswodtokens`` command. The default calls
        :meth:`clear_expired` until it finds nothing; override it where batches can resume
        where the last one ended.
        """
        while deleted := self.clear_expired(limit=batch_size):
            yield deleted

    def now(self) -> datetime:
        """The current time; the seam tests move."""
        return timezone.now()

    def check(self) -> list[Any]:
        """Return system-check messages (``django.core.checks``) about this store's
        configuration; ``resetkit``'s checks report them for the configured store. Override to
        report a misconfiguration that would lose tokens."""
        return []

    def get_expiry_delta(self) -> timedelta:
        """How long a token lives: the ``lifetime`` the store was built with.

        Zero or less (accepted upstream, whose tests use ``-1``) means tokens are born expired.
        """
        return self.lifetime

    def with_lifetime(self, lifetime: timedelta) -> BaseTokenStore:
        """This store, with another lifetime: the same options otherwise (a shallow copy)."""
        clone = copy.copy(self)
        clone.lifetime = lifetime
        return clone

    def get_expiry_seconds(self) -> int:
        """The token lifetime in whole seconds (rounded up, never below 0), for stores with a
        TTL; 0 for tokens born expired."""
        return max(math.ceil(self.get_expiry_delta().total_seconds()), 0)

    def expires_at(self, created_at: datetime) -> datetime:
        """When a token created at ``created_at`` stops being accepted."""
        return created_at + self.get_expiry_delta()

    def expiry_cutoff(self) -> datetime:
        """Tokens created before this moment are expired now (what cleanup deletes)."""
        return self.now() - self.get_expiry_delta()

    def is_expired(self, created_at: datetime) -> bool:
        return self.now() > self.expires_at(created_at)

    #: Longest user agent kept with a token (the ORM column's size).
    user_agent_max_length = 512

    def clean_user_agent(self, user_agent: str | None) -> str:
        """The user agent as stored: empty for none, cut to ``user_agent_max_length``."""
        return (user_agent or "")[: self.user_agent_max_length]

    def password_fingerprint(self, user: Any) -> str:
        """A keyed fingerprint of ``user``'s password hash, stored with each new token."""
        return password_fingerprint(user)

    def password_unchanged(self, user: Any, fingerprint: str) -> bool:
        """Whether ``user``'s password is the one a token was issued under.

        A token dies when the password changes by any route (admin, ``set_password``
        elsewhere), as Django's own reset tokens do.
        """
        return password_fingerprint_matches(user, fingerprint)

    def make_digest(self, key: str) -> str:
        """The digest a new token is stored under: the one place a raw key becomes a stored
        digest (``ResetPasswordToken.objects.create()`` goes through the ORM store too)."""
        return token_digest(key, namespace=self.namespace)

    def lookup_digests(self, key: str) -> list[str]:
        """Every digest an existing token may be stored under (secret key rotation)."""
        return candidate_digests(key, self.namespace)
