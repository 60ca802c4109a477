"""What runs inside the benchmarks' servers rather than in the scripts.

Every observable is one line appended to a file with one ``write()`` on a file opened in append
mode, so lines from concurrent workers and threads never interleave and their order is the
order in which the writes happened:

* :func:`counting_application` (``make race``): the demo's WSGI application, with a line per
  ``pre_password_reset`` / ``post_password_reset`` in ``$BENCH_SIGNAL_LOG``;
* :func:`attack_application` (``make attack``): a line per event in ``$ATTACK_EVENT_LOG``:
  ``issued <user pk> <raw token>`` for a ``reset_password_token_created`` signal, ``lookup``
  when :class:`LoggingORMTokenStore` is asked for a presented key's digests, ``revoke <user
  pk>`` when it revokes an account's tokens, ``revoke codes`` for the
  ``code.attempts_exhausted`` log record (the raw tokens are of a scratch database);
* :class:`CountingSink`, an aiosmtpd handler that accepts every message and appends one line
  per message to a file (``python -m aiosmtpd -c benchmarks.server.CountingSink FILE``).
"""

from __future__ import annotations

import functools
import logging
import os
from typing import Any


def append_line(path: str, line: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, f"{line}\n".encode())
    finally:
        os.close(fd)


def counting_application() -> Any:
    """The demo's WSGI application, counting the reset signals in ``$BENCH_SIGNAL_LOG``
    (gunicorn calls this factory: ``benchmarks.server:counting_application()``)."""
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()
    from resetkit.signals import post_password_reset, pre_password_reset

    path = os.environ["BENCH_SIGNAL_LOG"]
    for name, signal in (("pre", pre_password_reset), ("post", post_password_reset)):
        signal.connect(_recorder(path, name), weak=False)
    return application


def _recorder(path: str, name: str) -> Any:
    def receiver(sender: Any, user: Any, **kwargs: Any) -> None:
        append_line(path, f"{name} {user.pk}")

    return receiver


def record_event(line: str) -> None:
    append_line(os.environ["ATTACK_EVENT_LOG"], line)


def _issued(sender: Any, reset_password_token: Any, **kwargs: Any) -> None:
    record_event(f"issued {reset_password_token.user.pk} {reset_password_token.key}")


def attack_application() -> Any:
    """The demo's WSGI application, logging every issued token and every spent attempt
    budget (``benchmarks.server:attack_application()``)."""
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


@functools.cache
def _logging_store() -> type:
    from resetkit.backends.orm import ORMTokenStore

    class LoggingORMTokenStore(ORMTokenStore):
        """The ORM store, logging each presented key's lookup and each revocation."""

        def lookup_digests(self, key: str) -> list[str]:
            record_event("lookup")
            return super().lookup_digests(key)

        def revoke_user_tokens(self, user: Any) -> None:
            record_event(f"revoke {user.pk}")
            super().revoke_user_tokens(user)

    return LoggingORMTokenStore


def __getattr__(name: str) -> Any:
    # Imported lazily: the SMTP sink loads this module without Django.
    if name == "LoggingORMTokenStore":
        return _logging_store()
    raise AttributeError(name)


class CountingSink:
    """aiosmtpd handler: accept every message and append a line per message to a file."""

    def __init__(self, path: str) -> None:
        self.path = path

    @classmethod
    def from_cli(cls, parser: Any, *args: str) -> CountingSink:
        if len(args) != 1:
            parser.error("CountingSink takes one argument: the file to count messages in")
        return cls(args[0])

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        append_line(self.path, f"{len(envelope.content)} {','.join(envelope.rcpt_tos)}")
        return "250 Message accepted for delivery"
