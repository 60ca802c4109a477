"""What every message of :mod:`resetkit.contrib.email` shares: rendering, sender, recipient."""

from __future__ import annotations

import logging
from typing import Any

from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from resetkit.conf import resetkit_settings

logger = logging.getLogger("resetkit")

# Whether connect() connected the link receiver: the RESET_URL check concerns only projects that
# send links.
_state = {"connected": False}


def get_from_email() -> str | None:
    """The sender: ``RESETKIT["FROM_EMAIL"]``; ``None`` lets Django use ``DEFAULT_FROM_EMAIL``."""
    sender = resetkit_settings.FROM_EMAIL
    return str(sender) if sender else None


def email_of(user: Any) -> str:
    """The address in the user model's e-mail field (``get_email_field_name()``), or ``""``."""
    return getattr(user, user.get_email_field_name(), "") or ""


def send_templated_email(context: dict[str, Any], subject: str, text: str, html: str) -> None:
    """Render the three templates with ``context`` and send them to ``context["email"]``, from
    ``FROM_EMAIL``. The subject is one line: its line breaks are removed."""
    message = EmailMultiAlternatives(
        subject="".join(render_to_string(subject, context).splitlines()).strip(),
        body=render_to_string(text, context),
        from_email=get_from_email(),
        to=[context["email"]],
    )
    message.attach_alternative(render_to_string(html, context), "text/html")
    message.send()
