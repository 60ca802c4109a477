"""Ready-made receivers that e-mail the reset link, the code of the e-mail + code flow, and two
notices.

resetkit leaves delivery to the project (a ``reset_password_token_created`` receiver). Projects
that only need "send an e-mail" connect these from their ``AppConfig.ready()``::

    from resetkit.contrib import email

    email.connect()

and set ``RESETKIT["RESET_URL"] = "https://app.example/reset#token={token}"``: the token goes
in the URL *fragment*, which browsers never send to a server, so it stays out of access logs
and ``Referer`` headers (the reset page reads it from ``location.hash``). ``RESET_URL`` may
also be a callable (or the dotted path of one) called as ``reset_url(token, user, request)``
that returns the link: ``request`` is the request that asked (in a worker, a copy of its host,
scheme and headers), ``None`` when there is none (``generate_token_for_email``), so that one
project builds links per site or per client app. ``connect()`` connects:

* :func:`send_reset_email` to ``reset_password_token_created`` (the link). It renders
  ``resetkit/email/reset_password_subject.txt`` (one line; line breaks are removed),
  ``resetkit/email/reset_password.txt`` (plain text) and ``resetkit/email/reset_password.html``
  with the context ``user``, ``username``, ``email``, ``token``, ``reset_url`` and
  ``expires_at``;
* :func:`send_code_email` to ``reset_code_created`` (the code of :mod:`resetkit.codes`). It
  renders ``resetkit/email/reset_code_subject.txt``, ``resetkit/email/reset_code.txt`` and
  ``resetkit/email/reset_code.html`` with ``user``, ``username``, ``email``, ``code`` and
  ``expires_at``; it needs no ``RESET_URL``;
* :func:`send_password_changed_email` to ``post_password_reset``: with
  ``PASSWORD_CHANGED_NOTICE`` on, "your password was changed" (``password_changed*``
  templates; ``user``, ``username``, ``email``, ``changed_at``, ``request``);
* :func:`send_unknown_address_email` to ``reset_requested_for_unknown_address``: with
  ``UNKNOWN_ADDRESS_NOTICE`` on, "someone asked, but no account uses this address"
  (``unknown_address*`` templates; ``email``, ``request``), at most
  ``UNKNOWN_ADDRESS_NOTICE_RATE`` per address.

``connect(links=False)`` sends no links (and then ``RESET_URL`` is not checked);
``connect(codes=False)`` no codes; ``connect(notices=False)`` no notices (the two notices are
also off until their settings are on). A project overrides a template by shipping a file of the
same name. The sender is ``FROM_EMAIL`` (``None``: ``DEFAULT_FROM_EMAIL``); the recipient is the
user's e-mail field (``get_email_field_name()``).
"""

from __future__ import annotations

from resetkit.contrib.email.links import (
    CODE_HTML_TEMPLATE,
    CODE_SUBJECT_TEMPLATE,
    CODE_TEXT_TEMPLATE,
    EXAMPLE_URL,
    HTML_TEMPLATE,
    PLACEHOLDER,
    SUBJECT_TEMPLATE,
    TEXT_TEMPLATE,
    build_reset_url,
    check_reset_url,
    get_code_email_context,
    get_email_context,
    get_reset_url_builder,
    reset_url_problem,
    send_code_email,
    send_reset_email,
)
from resetkit.contrib.email.notices import (
    UnknownAddressNoticeBudget,
    get_password_changed_context,
    send_password_changed_email,
    send_unknown_address_email,
)
from resetkit.contrib.email.sending import _state, get_from_email, send_templated_email
from resetkit.signals import (
    post_password_reset,
    reset_code_created,
    reset_password_token_created,
    reset_requested_for_unknown_address,
)

__all__ = [
    "CODE_HTML_TEMPLATE",
    "CODE_SUBJECT_TEMPLATE",
    "CODE_TEXT_TEMPLATE",
    "EXAMPLE_URL",
    "HTML_TEMPLATE",
    "PLACEHOLDER",
    "SUBJECT_TEMPLATE",
    "TEXT_TEMPLATE",
    "UnknownAddressNoticeBudget",
    "build_reset_url",
    "check_reset_url",
    "connect",
    "disconnect",
    "get_code_email_context",
    "get_email_context",
    "get_from_email",
    "get_password_changed_context",
    "get_reset_url_builder",
    "reset_url_problem",
    "send_code_email",
    "send_password_changed_email",
    "send_reset_email",
    "send_templated_email",
    "send_unknown_address_email",
]

DISPATCH_UID = "resetkit.contrib.email.send_reset_email"
CODE_DISPATCH_UID = "resetkit.contrib.email.send_code_email"
CHANGED_DISPATCH_UID = "resetkit.contrib.email.send_password_changed_email"
UNKNOWN_DISPATCH_UID = "resetkit.contrib.email.send_unknown_address_email"


def connect(*, links: bool = True, codes: bool = True, notices: bool = True) -> None:
    """Send reset e-mails from now on: links (``reset_password_token_created``), codes
    (``reset_code_created``) and the notices (``post_password_reset``,
    ``reset_requested_for_unknown_address``; each sent only while its setting is on), unless
    told otherwise. Call from ``AppConfig.ready()``; calling it again changes nothing."""
    if links:
        reset_password_token_created.connect(send_reset_email, dispatch_uid=DISPATCH_UID)
        _state["connected"] = True
    if codes:
        reset_code_created.connect(send_code_email, dispatch_uid=CODE_DISPATCH_UID)
    if notices:
        post_password_reset.connect(send_password_changed_email, dispatch_uid=CHANGED_DISPATCH_UID)
        reset_requested_for_unknown_address.connect(
            send_unknown_address_email, dispatch_uid=UNKNOWN_DISPATCH_UID
        )


def disconnect() -> None:
    """Stop sending every e-mail of this module (and checking ``RESET_URL``)."""
    reset_password_token_created.disconnect(dispatch_uid=DISPATCH_UID)
    reset_code_created.disconnect(dispatch_uid=CODE_DISPATCH_UID)
    post_password_reset.disconnect(dispatch_uid=CHANGED_DISPATCH_UID)
    reset_requested_for_unknown_address.disconnect(dispatch_uid=UNKNOWN_DISPATCH_UID)
    _state["connected"] = False
