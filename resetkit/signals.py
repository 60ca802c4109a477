"""Signals sent by the reset flow, with the arguments django-rest-passwordreset sends.

* ``reset_password_token_created(sender=<view class>, instance=<view>,
  reset_password_token=<token>)``: a token was issued; deliver
  ``reset_password_token.key`` to ``reset_password_token.user``.
* ``pre_password_reset(sender, user, reset_password_token)``: the token and the new password
  passed every check and the password is about to be set. Never sent for a rejected confirm.
* ``post_password_reset(sender, user, reset_password_token)``: the password was set and the
  user's outstanding tokens were revoked.
"""

from django.dispatch import Signal

__all__ = ["post_password_reset", "pre_password_reset", "reset_password_token_created"]

reset_password_token_created = Signal()
pre_password_reset = Signal()
post_password_reset = Signal()
