"""Delivers reset tokens by e-mail: the one piece of code resetkit leaves to the project."""

from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.mail import send_mail
from django.dispatch import receiver

from resetkit.signals import reset_code_created, reset_password_token_created


@receiver(reset_password_token_created)
def email_reset_token(sender: Any, instance: Any, reset_password_token: Any, **kwargs: Any) -> None:
    """Send the user a link to the reset page, and the raw token for API clients.

    The link carries the token in its fragment (``/reset/#token=...``): opening it requests
    ``/reset/`` alone, so the token never reaches the server's access log.
    """
    user = reset_password_token.user
    token = reset_password_token.key
    link = settings.DEMO_RESET_URL.format(token=quote(token, safe=""))
    send_mail(
        subject="Reset your password",
        message=(
            f"Hello {user.get_username()},\n\n"
            f"someone (hopefully you) asked to reset your password. Open this link:\n\n"
            f"    {link}\n\n"
            f"or send this token to the API:\n\n"
            f"    {token}\n\n"
            f"If it was not you, ignore this e-mail: your password stays as it is.\n"
        ),
        from_email=None,  # DEFAULT_FROM_EMAIL
        recipient_list=[user.email],
    )


@receiver(reset_code_created)
def email_reset_code(sender: Any, instance: Any, reset_password_token: Any, **kwargs: Any) -> None:
    """Send the user the code of the e-mail + code flow (``resetkit.codes``), to type on the
    reset page ("I have a code")."""
    user = reset_password_token.user
    minutes = getattr(settings, "RESETKIT", {}).get("CODE_EXPIRY_MINUTES", 15)
    send_mail(
        subject="Your password reset code",
        message=(
            f"Hello {user.get_username()},\n\n"
            f"someone (hopefully you) asked to reset your password. Your code:\n\n"
            f"    {reset_password_token.key}\n\n"
            f"Type it on the reset page with your new password. It works once, for "
            f"{minutes} minutes.\n\n"
            f"If it was not you, ignore this e-mail: your password stays as it is.\n"
        ),
        from_email=None,  # DEFAULT_FROM_EMAIL
        recipient_list=[user.email],
    )
