"""Log in after a reset, opt in: a Django session, a DRF authtoken token or a simplejwt pair,
answered by the confirm endpoint; never for an account with a second factor."""

from typing import Any

from django.contrib.auth import login
from django.db import transaction
from django.urls import include, path
from django_otp import user_has_device
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework_simplejwt.tokens import RefreshToken

from resetkit.backends import ResetTokenLike
from resetkit.views import ResetPasswordConfirm


def has_second_factor(user: Any) -> bool:
    """Whether logging in to this account takes more than its password: here a confirmed
    django-otp device (with allauth's MFA: ``allauth.mfa.utils.is_mfa_enabled(user)``)."""
    return bool(user_has_device(user, confirmed=True))


class ConfirmAndLogIn(ResetPasswordConfirm):
    """The stock confirm, then a log-in: ``"login": "done"`` with what the client keeps, or
    ``"login": "second_factor_required"`` and no credential at all."""

    def get_confirm_response(self, token: ResetTokenLike) -> Response:
        # Called once the reset is committed; token.user is the user read afresh by the reset,
        # so its password hash is already the new one.
        user = token.user
        if has_second_factor(user):
            # The password is set; the client sends the user to the normal log-in, where the
            # second factor is asked for. A reset link alone never opens the account.
            return Response({"status": "OK", "login": "second_factor_required"})
        return Response({"status": "OK", "login": "done", **self.log_in(user)})

    def log_in(self, user: Any) -> dict[str, Any]:
        """Log ``user`` in; return what to add to the answer."""
        raise NotImplementedError


class ConfirmAndLogInSession(ConfirmAndLogIn):
    """A Django session: the answer sets the session cookie (and a new CSRF token)."""

    #: The backend the session records, as Django's PasswordResetConfirmView names it.
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"

    def log_in(self, user: Any) -> dict[str, Any]:
        # After set_password(), so the session carries the new password's hash: it stays valid,
        # while every session opened with the old password is now rejected.
        login(self.request, user, backend=self.post_reset_login_backend)
        return {}


class ConfirmAndLogInToken(ConfirmAndLogIn):
    """A DRF authtoken token: ``{"status": "OK", "login": "done", "token": "<key>"}``."""

    def log_in(self, user: Any) -> dict[str, Any]:
        # Always a new key: the old one, if the authtoken revoker did not delete it, was handed
        # out to whoever knew the old password.
        with transaction.atomic():
            Token.objects.filter(user=user).delete()
            token = Token.objects.create(user=user)
        return {"token": token.key}


class ConfirmAndLogInJWT(ConfirmAndLogIn):
    """A simplejwt pair: ``{"status": "OK", "login": "done", "access": ..., "refresh": ...}``."""

    def log_in(self, user: Any) -> dict[str, Any]:
        # With token_blacklist installed the new refresh token is recorded as outstanding, so
        # the simplejwt revoker ends it at the next reset like any other.
        refresh = RefreshToken.for_user(user)
        return {"access": str(refresh.access_token), "refresh": str(refresh)}


urlpatterns = [
    path("api/password_reset/", include("resetkit.urls", namespace="password_reset")),
    # The stock confirm stays as it is; each kind of client opts in at its own path. Keep the
    # one your clients use.
    path(
        "api/password_reset/confirm_and_log_in/session/",
        ConfirmAndLogInSession.as_view(),
        name="reset-password-confirm-session",
    ),
    path(
        "api/password_reset/confirm_and_log_in/token/",
        ConfirmAndLogInToken.as_view(),
        name="reset-password-confirm-token",
    ),
    path(
        "api/password_reset/confirm_and_log_in/jwt/",
        ConfirmAndLogInJWT.as_view(),
        name="reset-password-confirm-jwt",
    ),
]
