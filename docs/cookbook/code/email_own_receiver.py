"""Your own reset e-mail. Import this module from your ``AppConfig.ready()``."""

from typing import Any
from urllib.parse import quote

from django.core.mail import send_mail
from django.dispatch import receiver

from resetkit.backends import ResetTokenLike
from resetkit.signals import reset_password_token_created


@receiver(reset_password_token_created, dispatch_uid="accounts.send_reset_link")
def send_reset_link(
    sender: Any, instance: Any, reset_password_token: ResetTokenLike, **kwargs: Any
) -> None:
    user = reset_password_token.user
    # The raw token exists only now, in memory: put it in the link here, in the fragment
    # (after "#"), which browsers never send to a server, so no access log holds it.
    link = "https://app.example/reset#token=" + quote(reset_password_token.key or "", safe="")
    send_mail(
        "Reset your password",
        f"Hello {user.get_username()},\n\nOpen {link} to choose a new password.",
        None,  # DEFAULT_FROM_EMAIL
        [user.email],
    )
