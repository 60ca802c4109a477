"""A ready-made receiver that e-mails the reset link.

resetkit leaves delivery to the project (a ``reset_password_token_created`` receiver). Projects
that only need "send an e-mail with a link" connect this one from their ``AppConfig.ready()``::

    from resetkit.contrib import email

    email.connect()

and set ``RESETKIT["RESET_URL"] = "https://app.example/reset?token={token}"``. It renders three
templates, which a project overrides by shipping files of the same names:

* ``resetkit/email/reset_password_subject.txt`` (one line; line breaks are removed),
* ``resetkit/email/reset_password.txt`` (the plain-text body),
* ``resetkit/email/reset_password.html`` (the HTML alternative),

with the context ``user``, ``username``, ``email``, ``token``, ``reset_url`` and
``expires_at``. The sender is ``DEFAULT_FROM_EMAIL``; the recipient is the user's e-mail field
(``get_email_field_name()``).
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from resetkit.backends import ResetTokenLike
from resetkit.conf import SETTING_NAME, resetkit_settings
from resetkit.signals import reset_password_token_created

__all__ = [
    "build_reset_url",
    "connect",
    "disconnect",
    "get_email_context",
    "send_reset_email",
]

logger = logging.getLogger("resetkit")

SUBJECT_TEMPLATE = "resetkit/email/reset_password_subject.txt"
TEXT_TEMPLATE = "resetkit/email/reset_password.txt"
HTML_TEMPLATE = "resetkit/email/reset_password.html"

PLACEHOLDER = "{token}"
DISPATCH_UID = "resetkit.contrib.email.send_reset_email"
EXAMPLE_URL = "https://app.example/reset?token={token}"

# Whether connect() was called: the system check concerns only projects that send these e-mails.
_state = {"connected": False}


def reset_url_problem() -> str | None:
    """Say what is wrong with ``RESET_URL``, or ``None`` when it can build links."""
    url = resetkit_settings.RESET_URL
    if url is None:
        return (
            f"{SETTING_NAME}['RESET_URL'] is not set, so resetkit.contrib.email cannot build "
            "the link it sends."
        )
    if not isinstance(url, str) or PLACEHOLDER not in url:
        return (
            f"{SETTING_NAME}['RESET_URL'] must be a string containing {PLACEHOLDER!r} where the "
            f"token goes, not {url!r}."
        )
    return None


def build_reset_url(key: str) -> str:
    """Return ``RESET_URL`` with the URL-quoted token in place of ``{token}``.

    Quoting keeps a token from a custom generator (``/``, ``&``, ``+``, spaces) intact through
    the link; ``str.replace`` rather than ``format`` leaves other braces in the URL alone.
    """
    problem = reset_url_problem()
    if problem:
        raise ImproperlyConfigured(f"{problem} Set it like {EXAMPLE_URL!r}.")
    url: str = resetkit_settings.RESET_URL
    return url.replace(PLACEHOLDER, quote(key, safe=""))


def get_email_context(reset_password_token: ResetTokenLike) -> dict[str, Any]:
    """Return the context of the three templates."""
    user = reset_password_token.user
    key = reset_password_token.key
    if not key:
        # Only a token fresh from the store carries its raw key (stores keep digests).
        raise ValueError("send_reset_email needs a newly issued token, with its raw .key")
    return {
        "user": user,
        "username": user.get_username(),
        "email": getattr(user, user.get_email_field_name(), "") or "",
        "token": key,
        "reset_url": build_reset_url(key),
        "expires_at": reset_password_token.expires_at,
    }


def send_reset_email(
    sender: Any, instance: Any = None, reset_password_token: Any = None, **kwargs: Any
) -> None:
    """Receiver of ``reset_password_token_created``: e-mail the reset link to the user.

    A user without an e-mail address (possible with another ``LOOKUP_FIELD``) is skipped with
    a warning in the log.
    """
    context = get_email_context(reset_password_token)
    if not context["email"]:
        logger.warning(
            "resetkit: user pk=%s has no e-mail address; no reset e-mail sent",
            reset_password_token.user.pk,
        )
        return
    subject = "".join(render_to_string(SUBJECT_TEMPLATE, context).splitlines()).strip()
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(TEXT_TEMPLATE, context),
        from_email=None,  # DEFAULT_FROM_EMAIL
        to=[context["email"]],
    )
    message.attach_alternative(render_to_string(HTML_TEMPLATE, context), "text/html")
    message.send()


@checks.register
def check_reset_url(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """System check: while the receiver is connected, a misconfigured ``RESET_URL`` is
    reported at start-up rather than in the log of every failed e-mail."""
    if not _state["connected"]:
        return []
    problem = reset_url_problem()
    if problem is None:
        return []
    return [
        checks.Error(
            problem,
            hint=f"Set {SETTING_NAME}['RESET_URL'] = {EXAMPLE_URL!r} (your reset page).",
            id="resetkit_email.E001",
        )
    ]


def connect() -> None:
    """Send reset e-mails from now on. Call from ``AppConfig.ready()``; calling it again
    changes nothing."""
    reset_password_token_created.connect(send_reset_email, dispatch_uid=DISPATCH_UID)
    _state["connected"] = True


def disconnect() -> None:
    """Stop sending reset e-mails (and checking ``RESET_URL``)."""
    reset_password_token_created.disconnect(dispatch_uid=DISPATCH_UID)
    _state["connected"] = False
