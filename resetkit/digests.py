"""Keyed digests of tokens: what the stores keep instead of the token.

A dump of the token table or the cache holds only HMAC-SHA256 digests keyed with
``SECRET_KEY``, so nobody who reads it can use a token, short numeric codes included (guessing
a code offline needs the key). Digests made under a key listed in ``SECRET_KEY_FALLBACKS`` still
match, so rotating the key does not void tokens already mailed out.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.crypto import salted_hmac

KEY_SALT = "resetkit.token"


def token_digest(key: str, secret: str | bytes | None = None) -> str:
    """Return the hex digest stored for ``key`` (64 characters)."""
    return salted_hmac(KEY_SALT, key, secret=secret, algorithm="sha256").hexdigest()


def candidate_digests(key: str) -> list[str]:
    """Digests ``key`` may be stored under: current secret first, then each fallback."""
    digests = [token_digest(key)]
    for secret in getattr(settings, "SECRET_KEY_FALLBACKS", ()):
        digest = token_digest(key, secret)
        if digest not in digests:
            digests.append(digest)
    return digests
