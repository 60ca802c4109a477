"""Blacklist simplejwt refresh tokens after a reset (needs its ``token_blacklist`` app)."""

from typing import Any

from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken


def blacklist_refresh_tokens(user: Any) -> None:
    """Blacklist every outstanding refresh token of the user, so none can mint access tokens.

    Access tokens already minted stay valid until they expire (minutes, by design of JWT).
    """
    outstanding = OutstandingToken.objects.filter(user=user).exclude(blacklistedtoken__isnull=False)
    BlacklistedToken.objects.bulk_create(
        [BlacklistedToken(token=token) for token in outstanding], ignore_conflicts=True
    )
