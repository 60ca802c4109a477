"""Signals sent by the reset flow, with the arguments django-rest-passwordreset sends.

* ``reset_password_token_created(sender=<view class>, instance=<view>,
  reset_password_token=<token>)``: a token was issued; deliver
  ``reset_password_token.key`` to ``reset_password_token.user``.
* ``pre_password_reset(sender=<view class>, instance=<view>, user, reset_password_token)``: the
  token and the new password passed every check and the password is about to be set. Never
  sent for a rejected confirm.
* ``post_password_reset(sender=<view class>, instance=<view>, user, reset_password_token)``:
  the password was set and the user's outstanding tokens were revoked (sent after the commit; a
  receiver that raises is logged and the answer stays the success it is).

``instance`` (the confirm view, so a receiver can read ``instance.request``) is resetkit's
addition to the reset signals; django-rest-passwordreset sends them without it, so receivers
written for it (which take ``**kwargs``) keep working.
* ``reset_code_created(sender=<view class>, instance=<view>, reset_password_token=<token>)``:
  the e-mail + code flow (:mod:`resetkit.codes`) issued a code; deliver
  ``reset_password_token.key`` (the code) to ``reset_password_token.user``. Sent instead of
  ``reset_password_token_created``, so that receivers meant for links never get a code.
* ``reset_requested_for_unknown_address(sender=<view class>, instance=<view>, email=<str>)``:
  the request step found no eligible account for the submitted address (``email``, as
  submitted). Sent where the issuing work runs (after the answer, by default), so the answer
  and its timing do not change; ``resetkit.contrib.email`` may tell the address (see
  ``UNKNOWN_ADDRESS_NOTICE``).
"""

from __future__ import annotations

import logging
from typing import Any

from django.dispatch import Signal

from resetkit.events import DELIVERY_FAILED, POST_RESET_FAILED, loggable_pk

__all__ = [
    "RobustSignal",
    "post_password_reset",
    "pre_password_reset",
    "reset_code_created",
    "reset_password_token_created",
    "reset_requested_for_unknown_address",
]

logger = logging.getLogger("resetkit")


class RobustSignal(Signal):
    """A signal whose ``send()`` never raises what a receiver raises: it logs it.

    A delivery failure only real accounts can produce (an SMTP error) must not change the
    answer, or it would tell an attacker which addresses exist. Sending through ``send()``
    (rather than calling ``send_robust()`` at the call site) keeps tests that patch
    ``reset_password_token_created.send`` working, as they did upstream.
    """

    def __init__(self, failure_event: str = DELIVERY_FAILED, role: str = "delivery") -> None:
        super().__init__()
        self.failure_event = failure_event
        self.role = role

    def send(self, sender: Any, **named: Any) -> list[tuple[Any, Any]]:
        results = self.send_robust(sender, **named)
        for receiver, result in results:
            if isinstance(result, Exception):
                token = named.get("reset_password_token")
                name = str(getattr(receiver, "__qualname__", receiver))
                pk = getattr(getattr(token, "user", None), "pk", None)
                logger.error(
                    "resetkit: %s receiver %s failed for user pk=%s",
                    self.role,
                    name,
                    pk,
                    exc_info=result,
                    extra={
                        "reset_event": self.failure_event,
                        "reset_receiver": name,
                        "reset_user_pk": None if pk is None else loggable_pk(pk),
                    },
                )
        return results


reset_password_token_created = RobustSignal()
reset_code_created = RobustSignal()
pre_password_reset = Signal()
# After the commit the reset has happened: a failing notification must not answer 500 for it.
post_password_reset = RobustSignal(failure_event=POST_RESET_FAILED, role="post_password_reset")
# No eligible account matched a request: a failing receiver must not change anything either.
reset_requested_for_unknown_address = RobustSignal()
