"""End DRF ``authtoken`` tokens after a reset (needs ``rest_framework.authtoken`` installed)."""

from typing import Any

from rest_framework.authtoken.models import Token


def revoke_auth_tokens(user: Any) -> None:
    """Delete the user's API token: it was handed out to whoever knew the old password."""
    Token.objects.filter(user=user).delete()
