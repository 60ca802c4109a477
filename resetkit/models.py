"""The ORM token store's table.

A row holds the keyed digest of a token, never the token. The raw token exists only in memory
right after it is issued (``token.key``), long enough to be delivered.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class ResetPasswordToken(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        related_name="password_reset_tokens",
        on_delete=models.CASCADE,
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    digest = models.CharField(
        _("token digest"),
        max_length=64,
        unique=True,
        editable=False,
        help_text=_("HMAC-SHA256 of the token; the token itself is not stored."),
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True, default=None)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True, default="")
    password_fingerprint = models.CharField(
        _("password fingerprint"),
        max_length=32,
        blank=True,
        default="",
        editable=False,
        help_text=_(
            "Keyed digest of the password hash at issue; a changed password voids the token."
        ),
    )

    # The raw token, in memory only: set by the store when a token is issued or looked up.
    _key: str | None = None

    class Meta:
        verbose_name = _("password reset token")
        verbose_name_plural = _("password reset tokens")
        indexes = [
            # Serves expiry cleanup: a range scan on created_at, oldest first.
            models.Index(fields=["created_at"], name="resetkit_token_created_idx"),
        ]

    def __str__(self) -> str:
        return gettext("Password reset token for user %(user)s") % {"user": self.user}

    def save(self, *args: Any, **kwargs: Any) -> None:
        # ``ResetPasswordToken.objects.create(user=u)`` issues a token, as it did upstream:
        # the generator makes ``key`` and only its digest is written.
        if not self.digest:
            from resetkit.digests import token_digest
            from resetkit.generators import get_token_generator

            self.key = self.key or get_token_generator().generate_token()
            self.digest = token_digest(self.key)
        if not self.password_fingerprint:
            from resetkit.digests import password_fingerprint

            self.password_fingerprint = password_fingerprint(self.user)
        super().save(*args, **kwargs)

    @property
    def key(self) -> str | None:
        """The raw token, known only to the code that issued or looked it up; never stored.

        A property rather than a plain attribute so that ``objects.create(user=u, key=...)``
        (accepted upstream, where ``key`` was a column) still works.
        """
        return self._key

    @key.setter
    def key(self, value: str | None) -> None:
        self._key = value

    @property
    def expires_at(self) -> datetime:
        """When this token stops being accepted (under the current expiry setting)."""
        from resetkit.backends.orm import ORMTokenStore

        return ORMTokenStore().expires_at(self.created_at)
