"""The reset link (``RESET_URL``) and the two e-mails that carry a secret: the link and the code."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from resetkit.backends import ResetTokenLike
from resetkit.conf import SETTING_NAME, resetkit_settings
from resetkit.contrib.email.sending import _state, email_of, logger, send_templated_email

SUBJECT_TEMPLATE = "resetkit/email/reset_password_subject.txt"
TEXT_TEMPLATE = "resetkit/email/reset_password.txt"
HTML_TEMPLATE = "resetkit/email/reset_password.html"
CODE_SUBJECT_TEMPLATE = "resetkit/email/reset_code_subject.txt"
CODE_TEXT_TEMPLATE = "resetkit/email/reset_code.txt"
CODE_HTML_TEMPLATE = "resetkit/email/reset_code.html"

PLACEHOLDER = "{token}"
# In the fragment: a browser never sends it to the server, so the token stays out of its logs.
EXAMPLE_URL = "https://app.example/reset#token={token}"
# "myproject.links.reset_url": a dotted path, not a URL (no "/", no ":", no placeholder).
_DOTTED_PATH = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")

ResetUrl = Callable[[str, Any, Any], str]


def get_reset_url_builder() -> str | ResetUrl:
    """Return ``RESET_URL`` as a template string holding ``{token}``, or as the callable it
    names (a callable, or the dotted path of one); raise ``ImproperlyConfigured`` saying what is
    wrong with it."""
    url = resetkit_settings.RESET_URL
    name = f"{SETTING_NAME}['RESET_URL']"
    if url is None:
        raise ImproperlyConfigured(
            f"{name} is not set, so resetkit.contrib.email cannot build the link it sends."
        )
    if callable(url):
        return url
    if isinstance(url, str) and PLACEHOLDER in url:
        return url
    if isinstance(url, str) and _DOTTED_PATH.fullmatch(url):
        try:
            found = import_string(url)
        except ImportError as exc:
            raise ImproperlyConfigured(f"{name}: could not import {url!r} ({exc}).") from exc
        if not callable(found):
            raise ImproperlyConfigured(f"{name}: {url!r} is not callable.")
        return found
    raise ImproperlyConfigured(
        f"{name} must be a string containing {PLACEHOLDER!r} where the token goes, or a "
        f"callable (or the dotted path of one) that returns the link, not {url!r}."
    )


def reset_url_problem() -> str | None:
    """Say what is wrong with ``RESET_URL``, or ``None`` when it can build links."""
    try:
        get_reset_url_builder()
    except ImproperlyConfigured as exc:
        return str(exc)
    return None


def request_of(instance: Any) -> Any:
    """The request of the view that issued the token, or ``None`` when there is none worth the
    name: no view, or a stand-in without a host (``generate_token_for_email``)."""
    request = getattr(instance, "request", None)
    if request is None:
        return None
    meta = getattr(request, "META", None) or {}
    if not (meta.get("HTTP_HOST") or meta.get("SERVER_NAME")):
        return None
    return request


def build_reset_url(key: str, user: Any = None, request: Any = None) -> str:
    """Return the link for the raw token ``key``.

    A ``RESET_URL`` string gets the URL-quoted token in place of ``{token}``: quoting keeps a
    token from a custom generator (``/``, ``&``, ``+``, spaces) intact through the link, and
    ``str.replace`` rather than ``format`` leaves other braces alone. A callable is called as
    ``reset_url(key, user, request)`` and returns the whole link (quoting is its business).
    """
    try:
        builder = get_reset_url_builder()
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(f"{exc} Set it like {EXAMPLE_URL!r}.") from exc
    if callable(builder):
        return str(builder(key, user, request))
    return builder.replace(PLACEHOLDER, quote(key, safe=""))


def token_context(reset_password_token: ResetTokenLike, receiver: str) -> dict[str, Any]:
    """What every template about a fresh token shows: the user, the address, the expiry, and
    the raw ``key`` (only a token fresh from the store carries it: stores keep digests)."""
    user = reset_password_token.user
    if not reset_password_token.key:
        raise ValueError(f"{receiver} needs a newly issued token, with its raw .key")
    return {
        "user": user,
        "username": user.get_username(),
        "email": email_of(user),
        "expires_at": reset_password_token.expires_at,
    }


def get_email_context(reset_password_token: ResetTokenLike, request: Any = None) -> dict[str, Any]:
    """Return the context of the three link templates. ``request`` is passed to a callable
    ``RESET_URL``."""
    context = token_context(reset_password_token, "send_reset_email")
    key = str(reset_password_token.key)
    context["token"] = key
    context["reset_url"] = build_reset_url(key, context["user"], request)
    return context


def send_reset_email(
    sender: Any, instance: Any = None, reset_password_token: Any = None, **kwargs: Any
) -> None:
    """Receiver of ``reset_password_token_created``: e-mail the reset link to the user.

    A user without an e-mail address (possible with another ``LOOKUP_FIELD``) is skipped with
    a warning in the log.
    """
    context = get_email_context(reset_password_token, request_of(instance))
    if not context["email"]:
        logger.warning(
            "resetkit: user pk=%s has no e-mail address; no reset e-mail sent",
            reset_password_token.user.pk,
        )
        return
    send_templated_email(context, SUBJECT_TEMPLATE, TEXT_TEMPLATE, HTML_TEMPLATE)


def get_code_email_context(reset_password_token: ResetTokenLike) -> dict[str, Any]:
    """Return the context of the three code templates."""
    context = token_context(reset_password_token, "send_code_email")
    context["code"] = reset_password_token.key
    return context


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
    """System check: while the link receiver is connected, a misconfigured ``RESET_URL`` (a
    string without ``{token}``, a dotted path that does not import) is reported at start-up
    rather than in the log of every failed e-mail."""
    if not _state["connected"]:
        return []
    problem = reset_url_problem()
    if problem is None:
        return []
    return [
        checks.Error(
            problem,
            hint=(
                f"Set {SETTING_NAME}['RESET_URL'] = {EXAMPLE_URL!r} (your reset page), or to a "
                "callable reset_url(token, user, request) returning the link."
            ),
            id="resetkit_email.E001",
        )
    ]
