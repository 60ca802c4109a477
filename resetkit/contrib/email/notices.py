"""Notices without a secret: "your password was changed", and "there is no account here".

Neither carries a token, a code or a link to reset: they only tell the owner of an address what
happened, so that a reset they did not make, or a request they did not send, does not go
unnoticed.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from resetkit.attempts import identifier_digest
from resetkit.budgets import RateBudget
from resetkit.conf import resetkit_settings
from resetkit.contrib.email.sending import email_of, logger, send_templated_email

CHANGED_SUBJECT_TEMPLATE = "resetkit/email/password_changed_subject.txt"
CHANGED_TEXT_TEMPLATE = "resetkit/email/password_changed.txt"
CHANGED_HTML_TEMPLATE = "resetkit/email/password_changed.html"
UNKNOWN_SUBJECT_TEMPLATE = "resetkit/email/unknown_address_subject.txt"
UNKNOWN_TEXT_TEMPLATE = "resetkit/email/unknown_address.txt"
UNKNOWN_HTML_TEMPLATE = "resetkit/email/unknown_address.html"

NOTICE_PREFIX = "resetkit:unknown-address-notice"
NOTICE_NAMESPACE = "unknown-address-notice"


# -- "your password was changed" --------------------------------------------------------------


def get_password_changed_context(user: Any, request: Any = None) -> dict[str, Any]:
    """Return the context of the three ``password_changed`` templates."""
    return {
        "user": user,
        "username": user.get_username(),
        "email": email_of(user),
        "changed_at": timezone.now(),
        "request": request,
    }


def send_password_changed_email(
    sender: Any, user: Any = None, reset_password_token: Any = None, **kwargs: Any
) -> None:
    """Receiver of ``post_password_reset``: with ``PASSWORD_CHANGED_NOTICE`` on, tell the
    account's address that its password was changed (when, and what to do if it was not its
    owner). Sent after the commit; a failure is logged and the answer stays 200."""
    if not resetkit_settings.PASSWORD_CHANGED_NOTICE or user is None:
        return
    instance = kwargs.get("instance")
    context = get_password_changed_context(user, getattr(instance, "request", None))
    if not context["email"]:
        logger.warning(
            "resetkit: user pk=%s has no e-mail address; no password-changed notice sent",
            user.pk,
        )
        return
    send_templated_email(
        context, CHANGED_SUBJECT_TEMPLATE, CHANGED_TEXT_TEMPLATE, CHANGED_HTML_TEMPLATE
    )


# -- "someone asked, but there is no account for this address" --------------------------------


class UnknownAddressNoticeBudget(RateBudget):
    """At most ``UNKNOWN_ADDRESS_NOTICE_RATE`` notices per address. Keyed on a keyed digest of
    the normalised address (NFKC, casefold): the cache never holds the address, and ``Bob@``
    and ``bob@`` share one budget."""

    prefix = NOTICE_PREFIX

    def ident(self, subject: Any) -> str:
        return identifier_digest(str(subject), NOTICE_NAMESPACE)


def has_account(instance: Any, address: str) -> bool:
    """Whether an account uses ``address``, eligible or not: one the view's flow matches (its
    ``LOOKUP_FIELD``), or one whose e-mail field holds it. An inactive account, or one without
    a usable password, exists: telling its owner "there is no account" would be false."""
    get_flow = getattr(instance, "get_flow", None)
    if get_flow is not None and get_flow().get_matching_users(address):
        return True
    model = get_user_model()
    field = model.get_email_field_name()
    return bool(model._default_manager.filter(**{f"{field}__iexact": address}).exists())


def send_unknown_address_email(
    sender: Any, instance: Any = None, email: str = "", **kwargs: Any
) -> None:
    """Receiver of ``reset_requested_for_unknown_address``: with ``UNKNOWN_ADDRESS_NOTICE`` on,
    tell a syntactically valid address without any account that a reset was asked for it, at
    most ``UNKNOWN_ADDRESS_NOTICE_RATE`` times per address. Runs where the issuing work runs
    (after the answer), so the answer and its timing are the same as for a known address."""
    if not resetkit_settings.UNKNOWN_ADDRESS_NOTICE:
        return
    address = str(email or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        return
    if has_account(instance, address):
        return
    if not UnknownAddressNoticeBudget(resetkit_settings.UNKNOWN_ADDRESS_NOTICE_RATE).consume(
        address
    ):
        logger.info("resetkit: unknown-address notice not sent: this address's budget is spent")
        return
    request = getattr(instance, "request", None)
    context = {"email": address, "request": request}
    send_templated_email(
        context, UNKNOWN_SUBJECT_TEMPLATE, UNKNOWN_TEXT_TEMPLATE, UNKNOWN_HTML_TEMPLATE
    )
