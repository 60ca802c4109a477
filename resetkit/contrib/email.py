"""Ready-made receivers that e-mail the reset link, and the code of the e-mail + code flow.

resetkit leaves delivery to the project (a ``reset_password_token_created`` receiver). Projects
that only need "send an e-mail" connect these from their ``AppConfig.ready()``::

    from resetkit.contrib import email

    email.connect()

and set ``RESETKIT["RESET_URL"] = "https://app.example/reset#token={token}"``: the token goes
in the URL *fragment*, which browsers never send to a server, so it stays out of access logs
and ``Referer`` headers (the reset page reads it from ``location.hash``). ``connect()`` connects
two receivers:

* :func:`send_reset_email` to ``reset_password_token_created`` (the link). It renders
  ``resetkit/email/reset_password_subject.txt`` (one line; line breaks are removed),
  ``resetkit/email/reset_password.txt`` (plain text) and ``resetkit/email/reset_password.html``
  with the context ``user``, ``username``, ``email``, ``token``, ``reset_url`` and
  ``expires_at``;
* :func:`send_code_email` to ``reset_code_created`` (the code of :mod:`resetkit.codes`). It
  renders ``resetkit/email/reset_code_subject.txt``, ``resetkit/email/reset_code.txt`` and
  ``resetkit/email/reset_code.html`` with ``user``, ``username``, ``email``, ``code`` and
  ``expires_at``; it needs no ``RESET_URL``.

``connect(links=False)`` sends codes only (and then ``RESET_URL`` is not checked);
``connect(codes=False)`` links only. A project overrides a template by shipping a file of the
same name. The sender is ``DEFAULT_FROM_EMAIL``; the recipient is the user's e-mail field
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
from resetkit.signals import reset_code_created, reset_password_token_created

__all__ = [
    "build_reset_url",
    "connect",
    "disconnect",
    "get_code_email_context",
    "get_email_context",
    "send_code_email",
    "send_reset_email",
]

logger = logging.getLogger("resetkit")

SUBJECT_TEMPLATE = "resetkit/email/reset_password_subject.txt"
TEXT_TEMPLATE = "resetkit/email/reset_password.txt"
HTML_TEMPLATE = "resetkit/email/reset_password.html"
CODE_SUBJECT_TEMPLATE = "resetkit/email/reset_code_subject.txt"
CODE_TEXT_TEMPLATE = "resetkit/email/reset_code.txt"
CODE_HTML_TEMPLATE = "resetkit/email/reset_code.html"

PLACEHOLDER = "{token}"
DISPATCH_UID = "resetkit.contrib.email.send_reset_email"
CODE_DISPATCH_UID = "resetkit.contrib.email.send_code_email"
# In the fragment: a browser never sends it to the server, so the token stays out of its logs.
EXAMPLE_URL = "https://app.example/reset#token={token}"

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
    send_templated_email(context, SUBJECT_TEMPLATE, TEXT_TEMPLATE, HTML_TEMPLATE)


def send_templated_email(context: dict[str, Any], subject: str, text: str, html: str) -> None:
    """Render the three templates with ``context`` and send them to ``context["email"]``."""
    message = EmailMultiAlternatives(
        subject="".join(render_to_string(subject, context).splitlines()).strip(),
        body=render_to_string(text, context),
        from_email=None,  # DEFAULT_FROM_EMAIL
        to=[context["email"]],
    )
    message.attach_alternative(render_to_string(html, context), "text/html")
    message.send()


def get_code_email_context(reset_password_token: ResetTokenLike) -> dict[str, Any]:
    """Return the context of the three code templates."""
    user = reset_password_token.user
    code = reset_password_token.key
    if not code:
        raise ValueError("send_code_email needs a newly issued code, with its raw .key")
    return {
        "user": user,
        "username": user.get_username(),
        "email": getattr(user, user.get_email_field_name(), "") or "",
        "code": code,
        "expires_at": reset_password_token.expires_at,
    }


def send_code_email(
    sender: Any, instance: Any = None, reset_password_token: Any = None, **kwargs: Any
) -> None:
    """Receiver of ``reset_code_created``: e-mail the code to the user (skipped, with a
    warning in the log, for a user without an e-mail address)."""
    context = get_code_email_context(reset_password_token)
    if not context["email"]:
        logger.warning(
            "resetkit: user pk=%s has no e-mail address; no reset code sent",
            reset_password_token.user.pk,
        )
        return
    send_templated_email(context, CODE_SUBJECT_TEMPLATE, CODE_TEXT_TEMPLATE, CODE_HTML_TEMPLATE)


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


def connect(*, links: bool = True, codes: bool = True) -> None:
    """Send reset e-mails from now on: links (``reset_password_token_created``) and codes
    (``reset_code_created``), unless told otherwise. Call from ``AppConfig.ready()``; calling
    it again changes nothing."""
    if links:
        reset_password_token_created.connect(send_reset_email, dispatch_uid=DISPATCH_UID)
        _state["connected"] = True
    if codes:
        reset_code_created.connect(send_code_email, dispatch_uid=CODE_DISPATCH_UID)


def disconnect() -> None:
    """Stop sending reset e-mails, links and codes (and checking ``RESET_URL``)."""
    reset_password_token_created.disconnect(dispatch_uid=DISPATCH_UID)
    reset_code_created.disconnect(dispatch_uid=CODE_DISPATCH_UID)
    _state["connected"] = False
