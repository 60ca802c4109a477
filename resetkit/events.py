"""Log records of the request endpoint: one per request outcome, on the ``resetkit`` logger.

Every record carries structured fields in ``extra`` (``reset_event`` and friends, listed in the
logging page of the documentation), so a JSON formatter emits them as fields. A record never
holds a token or the submitted address: the address appears only as a keyed fingerprint
(:func:`lookup_fingerprint`), which support staff can compute for an address they are given.
Under ``DEBUG``, a request that sends nothing is logged as a WARNING with the reason, so it
shows on the console of ``runserver`` with Django's default logging.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.utils.crypto import salted_hmac

from resetkit.identifiers import normalise_identifier

logger = logging.getLogger("resetkit")

ISSUED = "request.issued"
NO_ELIGIBLE_ACCOUNT = "request.no_eligible_account"
BUDGET_SPENT = "request.budget_spent"
DELIVERY_FAILED = "request.delivery_failed"
POST_RESET_FAILED = "confirm.post_reset_receiver_failed"
THROTTLED = "request.throttled"
#: Staff sent a user a reset link (the staff API's ``send/``, the ``send_reset_link`` action);
#: ``reset_sent`` says whether a token was issued, ``reset_reason`` why not.
STAFF_LINK_SENT = "staff.link_sent"


def lookup_fingerprint(value: str) -> str:
    """A keyed digest of a submitted address (16 hex digits): the same for the same address in
    any case or Unicode form, and meaningless without ``SECRET_KEY``."""
    normalised = normalise_identifier(str(value))
    digest = salted_hmac("resetkit.events.lookup", normalised, algorithm="sha256")
    return digest.hexdigest()[:16]


def loggable_pk(pk: Any) -> Any:
    """A primary key as a JSON formatter can write it (UUIDs as strings)."""
    return pk if isinstance(pk, int | str) else str(pk)


def pks(users: Iterable[Any]) -> list[Any]:
    return [loggable_pk(user.pk) for user in users]


def log_issue_outcome(
    view: Any, lookup_value: str, issued: Iterable[Any], budget_spent: Iterable[Any]
) -> None:
    """Log what one request did: tokens issued, or why nothing was sent."""
    issued_pks, spent_pks = pks(issued), pks(budget_spent)
    extra: dict[str, Any] = {
        "reset_view": type(view).__name__,
        "reset_lookup_fingerprint": lookup_fingerprint(lookup_value),
        "reset_user_pks": issued_pks,
        "reset_budget_spent_pks": spent_pks,
    }
    if issued_pks:
        extra["reset_event"] = ISSUED
        logger.info(
            "resetkit: reset request issued %d token(s) (user pk %s).",
            len(issued_pks),
            ", ".join(map(str, issued_pks)),
            extra=extra,
        )
        return
    from resetkit.conf import resetkit_settings

    if spent_pks:
        extra["reset_event"] = BUDGET_SPENT
        message = "resetkit: reset request sent nothing: the account budget is spent (user pk %s)."
        hint = (
            f" ACCOUNT_TOKEN_RATE is {resetkit_settings.ACCOUNT_TOKEN_RATE!r}: wait, or run "
            "`python manage.py clearresetthrottles --email <address>`."
        )
        args: tuple[Any, ...] = (", ".join(map(str, spent_pks)),)
    else:
        extra["reset_event"] = NO_ELIGIBLE_ACCOUNT
        message = "resetkit: reset request sent nothing: no eligible account matches."
        hint = (
            f" No active user whose {resetkit_settings.LOOKUP_FIELD!r} matches the submitted "
            "address"
            + (
                " and who has a usable password"
                if resetkit_settings.REQUIRE_USABLE_PASSWORD
                else ""
            )
            + " (see get_user_queryset and is_user_eligible)."
        )
        args = ()
    if settings.DEBUG:
        logger.warning(message + hint.replace("%", "%%"), *args, extra=extra)
    else:
        logger.info(message, *args, extra=extra)


def log_throttled(view: Any, client: str, wait: float | None) -> None:
    """Log a request the throttles refused (HTTP 429)."""
    extra = {
        "reset_event": THROTTLED,
        "reset_view": type(view).__name__,
        "reset_client_ip": client,
        "reset_wait": wait,
    }
    message = "resetkit: reset request from %s throttled (retry in %s s)."
    seconds = "?" if wait is None else f"{wait:.0f}"
    if settings.DEBUG:
        hint = f" To lift it now: python manage.py clearresetthrottles --ip {client}"
        logger.warning(message + hint, client, seconds, extra=extra)
    else:
        logger.info(message, client, seconds, extra=extra)
