"""Confirm asks for the current TOTP code when the account has a confirmed django-otp TOTP
device: a reset link alone no longer sets the password of such an account."""

from typing import Any

from django.contrib.auth import login
from django.db import router, transaction
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework import exceptions, serializers
from rest_framework.response import Response

from resetkit.backends import ResetTokenLike
from resetkit.serializers import PasswordTokenSerializer
from resetkit.views import ResetPasswordConfirm

OTP_REQUIRED = _("Enter the code from your authenticator app.")
OTP_INVALID = _("This code is not valid. Wait for the next one and try again.")


class PasswordTokenOTPSerializer(PasswordTokenSerializer):
    """``token``, ``password`` and, for an account with two-factor authentication, ``otp``."""

    otp = serializers.CharField(label=_("Code"), required=False, allow_blank=True, max_length=16)


class ConfirmWithTOTP(ResetPasswordConfirm):
    """The stock confirm; for an account with a confirmed TOTP device, a valid current code
    too, else a 400 on ``otp`` (and the token is kept)."""

    serializer_class = PasswordTokenOTPSerializer
    #: The device that accepted the code (``None`` for an account without one).
    otp_device: TOTPDevice | None = None

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        # Kept, to read the code in perform_reset().
        self.serializer = super().get_serializer(*args, **kwargs)
        return self.serializer

    def perform_reset(self, token: ResetTokenLike, password: str) -> None:
        # Here: after the token was found (a bad token gets the generic 404 whatever the code)
        # and after the password validators (a weak password spends no code), and before the
        # reset's transaction (a wrong code's throttle count must be committed, not rolled back).
        otp = self.serializer.validated_data.get("otp", "")
        self.otp_device = self.verify_second_factor(token.user, otp)
        super().perform_reset(token, password)

    def verify_second_factor(self, user: Any, otp: str) -> TOTPDevice | None:
        """Return the device that accepts ``otp``, or ``None`` for an account without a
        confirmed TOTP device; a 400 on ``otp`` when the code is missing or not valid."""
        devices = TOTPDevice.objects.devices_for_user(user, confirmed=True)
        if not devices.exists():
            return None
        if not otp:
            raise exceptions.ValidationError({"otp": [OTP_REQUIRED]}, code="required")
        # Locked, so that a code is accepted once, and committed before any answer: a wrong
        # code counts towards django-otp's throttle, which then refuses even the right code
        # for a while (OTP_TOTP_THROTTLE_FACTOR).
        with transaction.atomic(using=router.db_for_write(TOTPDevice)):
            for device in devices.select_for_update():
                if device.verify_token(otp):
                    return device
        raise exceptions.ValidationError({"otp": [OTP_INVALID]}, code="invalid")


class ConfirmWithTOTPAndLogIn(ConfirmWithTOTP):
    """The same, then a Django session, marked as verified by the device that accepted the
    code (``request.user.is_verified()`` with django-otp's ``OTPMiddleware``)."""

    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"

    def get_confirm_response(self, token: ResetTokenLike) -> Response:
        user = token.user
        if self.otp_device is None and user_has_device(user, confirmed=True):
            # A second factor other than TOTP (backup codes, a security key): not checked here,
            # so no log-in around it.
            return Response({"status": "OK", "login": "second_factor_required"})
        if self.otp_device is not None:
            # django-otp's user_logged_in receiver records the device in the session.
            user.otp_device = self.otp_device
        login(self.request, user, backend=self.post_reset_login_backend)
        return Response({"status": "OK", "login": "done"})


urlpatterns = [
    # Before the include, so that this confirm replaces the stock one at the same URL.
    path(
        "api/password_reset/confirm/",
        ConfirmWithTOTP.as_view(),
        name="reset-password-confirm",
    ),
    path("api/password_reset/", include("resetkit.urls", namespace="password_reset")),
    path(
        "api/password_reset/confirm_and_log_in/",
        ConfirmWithTOTPAndLogIn.as_view(),
        name="reset-password-confirm-and-log-in",
    ),
]
