"""What runs inside the burst test's gunicorn workers (``attack.py``).

Every observable is one line appended to ``$ATTACK_EVENT_LOG`` with one ``write()`` on a file
opened in append mode, so lines from concurrent workers and threads never interleave and their
order is the order in which the writes happened:

* ``issued <user pk> <raw token>``: a ``reset_password_token_created`` signal, i.e. a token
  issued and handed to delivery (the request endpoint issues before answering here);
* ``lookup``: the token store was asked for the digests of a presented key (every evaluation of
  a presented code goes through :meth:`~resetkit.backends.base.BaseTokenStore.lookup_digests`);
* ``revoke <user pk>``: the store revoked every outstanding token of an account.

The raw tokens in this file are of a scratch database the script drops at the end.
"""

from __future__ import annotations

import os
from typing import Any

from resetkit.backends.orm import ORMTokenStore


def record(line: str) -> None:
    fd = os.open(os.environ["ATTACK_EVENT_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{line}\n".encode())
    finally:
        os.close(fd)


def _issued(sender: Any, reset_password_token: Any, **kwargs: Any) -> None:
    record(f"issued {reset_password_token.user.pk} {reset_password_token.key}")


def application() -> Any:
    """The demo's WSGI application, logging every issued token (gunicorn calls this factory:
    ``attack_server:application()``)."""
    from django.core.wsgi import get_wsgi_application

    wsgi = get_wsgi_application()
    from resetkit.signals import reset_password_token_created

    reset_password_token_created.connect(_issued, weak=False, dispatch_uid="attack-issued")
    return wsgi


class LoggingORMTokenStore(ORMTokenStore):
    """The ORM store, logging each presented key's lookup and each revocation."""

    def lookup_digests(self, key: str) -> list[str]:
        record("lookup")
        return super().lookup_digests(key)

    def revoke_user_tokens(self, user: Any) -> None:
        record(f"revoke {user.pk}")
        super().revoke_user_tokens(user)
