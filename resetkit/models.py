"""The ORM token store's table, and django-rest-passwordreset's module-level helpers.

A row holds the keyed digest of a token, never the token. The raw token exists only in memory
right after it is issued (``token.key``), long enough to be delivered. A token can still be
found by its raw key: ``ResetPasswordToken.objects.filter(key=raw)`` looks up its digest.

The model knows nothing of stores or generators (nothing here imports
:mod:`resetkit.backends` or :mod:`resetkit.generators`): issuing, expiry and the upstream
helpers that need a store live in :mod:`resetkit.issuing`; ``clear_expired`` and
``eligible_for_reset`` are still importable from here, as upstream code does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

KEY_LOOKUPS = ("key", "key__exact", "key__in")


def _key_to_digest(lookup: str, value: Any) -> Q:
    from resetkit.digests import candidate_digests

    keys = value if lookup == "key__in" else [value]
    digests = [digest for key in keys if key for digest in candidate_digests(str(key))]
    return Q(digest__in=digests)


class ResetPasswordTokenQuerySet(models.QuerySet["ResetPasswordToken"]):
    """Rows found by raw key, as upstream code does (``filter(key=raw)``): the key is turned
    into its digests (current ``SECRET_KEY`` and fallbacks). A key is never read back."""

    def _filter_or_exclude(self, negate: bool, args: Any, kwargs: Any) -> Any:
        by_key = [_key_to_digest(name, kwargs.pop(name)) for name in KEY_LOOKUPS if name in kwargs]
        return super()._filter_or_exclude(negate, (*args, *by_key), kwargs)  # type: ignore[misc]


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

    objects = ResetPasswordTokenQuerySet.as_manager()

    # The raw token, in memory only: set by the store when a token is issued or looked up.
    _key: str | None = None
    # The expiry under the policy of the store that issued or looked up this row.
    _expires_at: datetime | None = None

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
        # ``ResetPasswordToken.objects.create(user=u)`` issues a token, as it did upstream. A
        # row without a digest is a new token: it is issued by the ORM store (the one path
        # from a raw key to a stored digest), with ``key`` or a key from the generator.
        if not self.digest:
            from resetkit.issuing import save_new_token

            save_new_token(self, using=kwargs.get("using"))
            return
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
        """When this token stops being accepted: as the store that issued or looked it up
        computed it, else under the current ``TOKEN_EXPIRY_HOURS``."""
        if self._expires_at is not None:
            return self._expires_at
        from resetkit.issuing import token_expires_at

        return token_expires_at(self.created_at)

    @expires_at.setter
    def expires_at(self, value: datetime) -> None:
        self._expires_at = value


# -- django-rest-passwordreset's module-level helpers, under its names -------------------------


def get_password_reset_token_expiry_time() -> float:
    """Hours a token lives (``TOKEN_EXPIRY_HOURS``, upstream's
    ``DJANGO_REST_MULTITOKENAUTH_RESET_TOKEN_EXPIRY_TIME``), read now."""
    from resetkit.conf import resetkit_settings

    hours: float = resetkit_settings.TOKEN_EXPIRY_HOURS
    return hours


def get_password_reset_lookup_field() -> str:
    """The user model field searched (``LOOKUP_FIELD``, upstream's ``DJANGO_REST_LOOKUP_FIELD``)."""
    from resetkit.conf import resetkit_settings

    field: str = resetkit_settings.LOOKUP_FIELD
    return field


# Upstream helpers that need a store or a view, in :mod:`resetkit.issuing`; imported from there
# on first use so that importing the model imports neither.
_MOVED_TO_ISSUING = ("clear_expired", "eligible_for_reset")


def __getattr__(name: str) -> Any:
    if name in _MOVED_TO_ISSUING:
        import resetkit.issuing

        return getattr(resetkit.issuing, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
