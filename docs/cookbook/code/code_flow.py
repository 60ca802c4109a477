"""Customise the built-in e-mail + code flow: six-digit codes and the app's own message.

The three views of ``resetkit.codes`` are subclassed with one attribute each; a receiver of
``reset_code_created`` writes the message. Binding to the account, the attempt budget, the
store namespace and the answers are the built-in flow's, unchanged.
"""

from django.core.mail import send_mail
from django.urls import path

from resetkit.codes.generators import NumericCodeGenerator
from resetkit.codes.views import (
    ResetPasswordConfirmCode,
    ResetPasswordRequestCode,
    ResetPasswordValidateCode,
)
from resetkit.signals import reset_code_created


class RequestSixDigitCode(ResetPasswordRequestCode):
    """Six digits rather than ``CODE_LENGTH`` (for this view only)."""

    token_generator_class = NumericCodeGenerator
    token_generator_kwargs = {"length": 6}


def text_the_code(sender, instance, reset_password_token, **kwargs):
    """The app's own wording (an SMS gateway would be called here instead)."""
    user = reset_password_token.user
    send_mail(
        "Your Acme sign-in code",
        f"Acme code: {reset_password_token.key}. It expires in a few minutes.",
        None,  # DEFAULT_FROM_EMAIL
        [user.email],
    )


# In a project: in AppConfig.ready(), instead of (or besides) resetkit.contrib.email.connect().
reset_code_created.connect(text_the_code, dispatch_uid="acme-code")

urlpatterns = [
    path("api/password_reset/code/", RequestSixDigitCode.as_view()),
    path("api/password_reset/code/validate/", ResetPasswordValidateCode.as_view()),
    path("api/password_reset/code/confirm/", ResetPasswordConfirmCode.as_view()),
]
