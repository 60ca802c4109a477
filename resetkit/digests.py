"""Keyed digests of tokens: what the stores keep instead of the token.

A dump of the token table or the cache holds only HMAC-SHA256 digests keyed with
``SECRET_KEY``, so nobody who reads it can use a token, short numeric codes included (guessing
a code offline needs the key). Digests made under a key listed in ``SECRET_KEY_FALLBACKS`` still
match, so rotating the key does not void tokens already mailed out.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes

KEY_SALT = "resetkit.token"
PASSWORD_SALT = "resetkit.password"


def salted_hmac_hexdigest(salt: str, value: str, secret: str | bytes | None = None) -> str:
    """``django.utils.crypto.salted_hmac(salt, value, secret, algorithm="sha256").hexdigest()``.

    The same digest, from an HMAC keyed once per salt and secret: every request computes one
    or two of these, and keying (hashing the salted secret, padding it into the HMAC's inner
    and outer states) costs as much as the digest itself.
    """
    if secret is None:
        secret = settings.SECRET_KEY
    keyed = _keyed_hmac(salt, force_bytes(secret)).copy()
    keyed.update(force_bytes(value))
    return keyed.hexdigest()


@lru_cache(maxsize=32)
def _keyed_hmac(salt: str, secret: bytes) -> hmac.HMAC:
    # What salted_hmac() does before it hashes the value. The cache holds the secrets the
    # settings hold (current key and fallbacks) while they are in use; a rotated-out key falls
    # out as others come in.
    key = hashlib.sha256(force_bytes(salt) + secret).digest()
    return hmac.new(key, digestmod=hashlib.sha256)


def token_digest(key: str, secret: str | bytes | None = None, namespace: str = "") -> str:
    """Return the hex digest stored for ``key`` (64 characters).

    A ``namespace`` gives a flow a key space of its own: the same string issued by two flows
    has two unrelated digests, so one flow's endpoints never find the other's tokens.
    """
    salt = f"{KEY_SALT}:{namespace}" if namespace else KEY_SALT
    return salted_hmac_hexdigest(salt, key, secret)


def candidate_digests(key: str, namespace: str = "") -> list[str]:
    """Digests ``key`` may be stored under: current secret first, then each fallback."""
    digests = [token_digest(key, namespace=namespace)]
    for secret in getattr(settings, "SECRET_KEY_FALLBACKS", ()):
        digest = token_digest(key, secret, namespace)
        if digest not in digests:
            digests.append(digest)
    return digests


def password_fingerprint(user: Any, secret: str | bytes | None = None) -> str:
    """A short keyed digest of ``user``'s password hash (32 hex characters).

    Kept with a token so that a password changed after the token was issued voids it. The
    password hash is salted already; the key keeps the stored value useless on its own.
    """
    return salted_hmac_hexdigest(PASSWORD_SALT, user.password or "", secret)[:32]


def password_fingerprint_matches(user: Any, fingerprint: str) -> bool:
    """Compare in constant time, under the current secret and each fallback."""
    secrets = [None, *getattr(settings, "SECRET_KEY_FALLBACKS", ())]
    return any(
        constant_time_compare(password_fingerprint(user, secret), fingerprint) for secret in secrets
    )
