"""One key issued to many accounts at once: exactly one gets it, the others are told to draw again.

Short codes collide. A store refuses a key that is already outstanding
(:class:`~resetkit.backends.DuplicateTokenError`) rather than let one key open two accounts,
and the request step draws another key. Here the collisions happen at the same moment: threads
start together on a barrier, each on its own database connection, against the run's database
(ORM store) or cache (cache store), with every SQL statement and cache read slowed a little so
that a check-then-insert window would be wide open. Issuing runs in autocommit (no explicit
transaction), so the threads overlap on SQLite too: their reads run side by side and only the
writes queue.
"""

from __future__ import annotations

import itertools
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIRequestFactory

from resetkit.backends import DuplicateTokenError, get_token_store
from resetkit.views import ResetPasswordRequestToken

# Shared with the consume tests: the barrier runner and the fixtures that slow every round trip.
from tests.backends.test_concurrency import (  # noqa: F401
    run_together,
    slow_cache_reads,
    slow_queries,
)

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("slow_cache_reads", "slow_queries"),
]

THREADS = 16
KEY = "482913"


def tokens_stored_under(store: Any, key: str) -> int:
    """How many tokens the store physically holds under ``key``'s digest, read around its API."""
    digest = store.make_digest(key)
    if store_is_orm(store):
        from resetkit.models import ResetPasswordToken

        return ResetPasswordToken.objects.filter(digest=digest).count()
    from resetkit.backends.redis import RedisTokenStore

    if isinstance(store, RedisTokenStore):
        return int(store.client.exists(store.token_redis_key(digest)))
    from tests.backends.raw import raw_cache_entries

    return int(store.token_cache_key(digest) in raw_cache_entries(store.cache_alias))


def store_is_orm(store: Any) -> bool:
    from resetkit.backends.orm import ORMTokenStore

    return isinstance(store, ORMTokenStore)


@pytest.mark.parametrize(
    "expired_in_the_way",
    [False, True],
    ids=["fresh key", "over an expired token of that key"],
)
def test_one_key_issued_to_many_accounts_at_once_goes_to_one(
    store_kind, make_user, expired_in_the_way
) -> None:
    """Every thread gets the token or ``DuplicateTokenError``; exactly one gets the token.

    With an expired token under the key, every issuer first finds it in the way and removes
    it, then they race to insert: the store's second path ("issued concurrently"). The cache
    store once let every issuer delete whatever was under the key by then, a live token just
    added by another included, so that several were told they held the key.
    """
    users = [make_user() for _ in range(THREADS)]
    store = get_token_store()
    if expired_in_the_way:
        past = get_token_store()
        past.now = lambda: timezone.now() - timedelta(days=2)  # type: ignore[method-assign]
        past.create_token(make_user(), KEY)
        assert tokens_stored_under(store, KEY) == 1  # expired, and still stored

    def issue(n: int) -> Any:
        try:
            return store.create_token(users[n], KEY).user.pk
        except DuplicateTokenError:
            return None

    issued_to = [pk for pk in run_together(THREADS, issue) if pk is not None]

    assert len(issued_to) == 1, f"{len(issued_to)} accounts were given one key"
    found = store.get_token(KEY)
    assert found is not None and found.user.pk == issued_to[0]
    assert tokens_stored_under(store, KEY) == 1


class Colliding:
    """A generator whose first draw in every thread is the same key, as a short numeric range
    eventually gives; later draws are fresh."""

    shared = "777777"
    _fresh = itertools.count(100000)
    _lock = threading.Lock()
    _drawn = threading.local()
    draws: list[str] = []

    def __init__(self, **options: Any) -> None:
        pass

    def generate_token(self) -> str:
        if getattr(Colliding._drawn, "once", False):
            with Colliding._lock:
                key = str(next(Colliding._fresh))
        else:
            Colliding._drawn.once = True
            key = Colliding.shared
        with Colliding._lock:
            Colliding.draws.append(key)
        return key


def test_simultaneous_requests_with_a_colliding_key_each_get_their_own(
    store_kind, make_user, signals
) -> None:
    """Many accounts request a token at once and every generator draws the same key first:
    one account gets it, each other draws again, and every account ends with one token that
    opens that account only."""
    users = [make_user() for _ in range(THREADS)]
    Colliding.draws = []
    view = ResetPasswordRequestToken.as_view(token_generator_class=Colliding)

    def request(n: int) -> int:
        Colliding._drawn.once = False
        request = APIRequestFactory().post("/", {"email": users[n].email}, format="json")
        return int(view(request).status_code)

    assert run_together(THREADS, request) == [200] * THREADS

    tokens = signals.tokens
    assert sorted(t.user.pk for t in tokens) == sorted(u.pk for u in users)
    keys = [t.key for t in tokens]
    assert len(set(keys)) == THREADS
    assert keys.count(Colliding.shared) == 1
    # Every thread drew the shared key first; all but one drew once more.
    assert Colliding.draws.count(Colliding.shared) == THREADS
    assert len(Colliding.draws) == 2 * THREADS - 1
    store = get_token_store()
    for token in tokens:
        found = store.get_token(token.key)
        assert found is not None and found.user.pk == token.user.pk


# -- the ORM store's two ways of losing a race, forced one at a time --------------------------


@pytest.mark.django_db
def test_orm_a_rival_that_took_the_key_while_we_made_way_is_a_duplicate(
    monkeypatch: pytest.MonkeyPatch, make_user: Any
) -> None:
    """Our insert meets an expired row; while we look, a rival removes it and inserts its own:
    our second insert is refused, and that is DuplicateTokenError, never an IntegrityError."""
    from resetkit.backends.orm import ORMTokenStore

    store = ORMTokenStore()
    owner, rival, late = (make_user(email=f"{n}@example.com") for n in ("o", "r", "l"))
    store.create_token(owner, "contested")
    real_make_way = ORMTokenStore._make_way

    def rival_wins(self: Any, digests: Any) -> bool:
        if not digests:  # the fallback-secret digests: there are none here
            return False
        self.model._default_manager.filter(digest__in=digests).delete()
        self.model._default_manager.create(
            user=rival,
            created_at=self.now(),
            digest=self.make_digest("contested"),
            password_fingerprint=self.password_fingerprint(rival),
        )
        return False

    with monkeypatch.context() as patch:
        patch.setattr(ORMTokenStore, "is_expired", lambda self, created_at: True)
        patch.setattr(ORMTokenStore, "_make_way", rival_wins)
        with pytest.raises(DuplicateTokenError):
            store.create_token(late, "contested")
    assert ORMTokenStore._make_way is real_make_way
    [row] = ORMTokenStore.model.fget(store)._default_manager.filter(  # type: ignore[attr-defined]
        digest=store.make_digest("contested")
    )
    assert row.user == rival


@pytest.mark.django_db
def test_orm_a_deadlock_on_the_key_is_a_duplicate(
    monkeypatch: pytest.MonkeyPatch, make_user: Any
) -> None:
    """InnoDB may pick one of the racing issuers as a deadlock victim: that issuer draws
    another key (DuplicateTokenError), the answer is not a 503."""
    from django.db import OperationalError

    from resetkit.backends.orm import ORMTokenStore

    def deadlock(self: Any, token: Any, using: Any = None) -> None:
        raise OperationalError(1213, "Deadlock found when trying to get lock")

    monkeypatch.setattr(ORMTokenStore, "_insert", deadlock)
    with pytest.raises(DuplicateTokenError):
        ORMTokenStore().create_token(make_user(email="d@example.com"), "contested")
