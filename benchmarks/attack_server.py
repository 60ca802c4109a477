"""What runs inside the burst test's gunicorn workers (``attack.py``).

Every observable is one line appended to ``$ATTACK_EVENT_LOG`` with one ``write()`` on a file
opened in append mode, so lines from concurrent workers and threads never interleave and their
order is the order in which the writes happened:

* ``issued <user pk> <raw token>``: a ``reset_password_token_created`` signal, i.e. a token
  issued and handed to delivery (the request endpoint issues before answering here);
* ``lookup``: the token store was asked for the digests of a presented key (every evaluation of
  a presented code goes through :meth:`~resetkit.backends.base.BaseTokenStore.lookup_digests`);
* ``revoke <user pk>``: the store revoked every outstanding token of an account;
* ``revoke codes``: an account identifier's attempt budget was spent and the codes issued for
  it were voided (the ``code.attempts_exhausted`` log record).

The raw tokens in this file are of a scratch database the script drops at the end.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from resetkit.backends.orm import ORMTokenStore


def record_event(line: str) -> None:
    fd = os.open(os.environ["ATTACK_EVENT_LOG"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{line}\n".encode())
    finally:
        os.close(fd)


def _issued(sender: Any, reset_password_token: Any, **kwargs: Any) -> None:
    record_event(f"issued {reset_password_token.user.pk} {reset_password_token.key}")


def application() -> Any:
    """The demo's WSGI application, logging every issued token (gunicorn calls this factory:
    ``attack_server:application()``)."""
    from django.core.wsgi import get_wsgi_application

    wsgi = get_wsgi_application()
    from resetkit.signals import reset_password_token_created

    reset_password_token_created.connect(_issued, weak=False, dispatch_uid="attack-issued")
    logging.getLogger("resetkit").addHandler(_RevocationRecorder())
    return wsgi


class _RevocationRecorder(logging.Handler):
    """Turns the record of a spent attempt budget into a ``revoke codes`` line."""

    def emit(self, record: logging.LogRecord) -> None:
        if getattr(record, "reset_event", None) == "code.attempts_exhausted":
            record_event("revoke codes")


class LoggingORMTokenStore(ORMTokenStore):
    """The ORM store, logging each presented key's lookup and each revocation."""

    def lookup_digests(self, key: str) -> list[str]:
        record_event("lookup")
        return super().lookup_digests(key)

    def revoke_user_tokens(self, user: Any) -> None:
        record_event(f"revoke {user.pk}")
        super().revoke_user_tokens(user)
