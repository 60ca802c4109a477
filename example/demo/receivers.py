"""Delivers reset tokens by e-mail: the one piece of code resetkit leaves to the project."""

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import send_mail
from django.dispatch import receiver

from resetkit.signals import reset_password_token_created


@receiver(reset_password_token_created)
def email_reset_token(sender: Any, instance: Any, reset_password_token: Any, **kwargs: Any) -> None:
    """Send the user a link to the reset page, and the raw token for API clients."""
    user = reset_password_token.user
    token = reset_password_token.key
    link = f"{settings.DEMO_RESET_PAGE_URL}?{urlencode({'token': token})}"
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
