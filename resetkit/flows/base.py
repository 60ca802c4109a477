"""What the three steps of one reset flow share: store, generator, users, lookup, the 404."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any, NoReturn

from django.contrib.auth import get_user_model
from django.db import router
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound

from resetkit.backends import (
    BaseTokenStore,
    ResetTokenLike,
    build_token_store,
    check_token_store_class,
    get_token_store,
    parse_lifetime,
)
from resetkit.conf import resetkit_settings
from resetkit.flows.codes import ShortCodeHooks
from resetkit.generators import BaseTokenGenerator, build_token_generator, get_token_generator
from resetkit.identifiers import identifiers_match, lookup_values
from resetkit.loading import import_from_setting

__all__ = ["INVALID_TOKEN_ERROR", "PasswordResetFlow"]

# The same answer for a token that is unknown, expired, consumed or whose user may not reset:
# the caller learns nothing about which. Worded as django-rest-passwordreset words it.
INVALID_TOKEN_ERROR = _("The OTP password entered is not valid. Please check and try again.")


class PasswordResetFlow(ShortCodeHooks):
    """The decisions the request, validate and confirm steps of one flow share.

    A view builds its flow once per request (``view.get_flow()``), so a hook may read
    ``self.request`` and ``self.view``. Override a hook here once and all three endpoints (and
    :class:`~resetkit.views.PasswordResetViewSet`) change; choose the flow with the view's
    ``flow_class`` or ``RESETKIT["FLOW_CLASS"]``.

    Class attributes default to ``None`` and are resolved per request, so settings changed at
    runtime (``override_settings``) reach flows imported long before. A view passes its own
    non-``None`` values of the same names (``as_view(token_store_class=...)``) to its flow.
    """

    #: Store class (or dotted path); ``None`` uses the class of ``RESETKIT["TOKEN_STORE"]``.
    token_store_class: type[BaseTokenStore] | str | None = None
    #: Store options; they beat the ``OPTIONS`` of ``RESETKIT["TOKEN_STORE"]`` (with the
    #: configured class) and are the only options of ``token_store_class`` (with this one).
    token_store_kwargs: dict[str, Any] | None = None
    #: Generator class (or dotted path); ``None`` uses ``RESETKIT["TOKEN_GENERATOR"]``.
    token_generator_class: type[BaseTokenGenerator] | str | None = None
    #: Constructor options for ``token_generator_class`` (e.g. ``{"min_number": 100000}``).
    token_generator_kwargs: dict[str, Any] | None = None
    #: How long this flow's tokens live: a ``timedelta`` or a number of seconds. ``None``: the
    #: configured lifetime (``TOKEN_LIFETIME``, else ``TOKEN_EXPIRY_HOURS``). A view's own
    #: ``token_lifetime`` (``as_view(token_lifetime=...)``) beats it.
    token_lifetime: timedelta | float | None = None
    #: Whether a new token voids the user's earlier ones; ``None`` follows
    #: ``REVOKE_EARLIER_TOKENS``. A view's own ``revoke_earlier_tokens`` beats it.
    revoke_earlier_tokens: bool | None = None

    def __init__(self, view: Any = None, **options: Any) -> None:
        self.view = view
        for name, value in options.items():
            if name.startswith("_") or not hasattr(type(self), name):
                raise TypeError(f"{type(self).__name__}() got an unexpected option {name!r}.")
            setattr(self, name, value)
        #: Options that came from the view (``as_view()`` or its class): errors name the view.
        self.view_options = frozenset(options)
        self._token_store: BaseTokenStore | None = None
        self._token_generator: BaseTokenGenerator | None = None

    @property
    def request(self) -> Any:
        """The view's request (a stand-in in the issuing executor; ``None`` without a view)."""
        return getattr(self.view, "request", None)

    def where(self, attribute: str) -> str:
        """Name the place ``attribute`` was set, for error messages."""
        owner = self.view if attribute in self.view_options else self
        return f"{type(owner).__name__}.{attribute}"

    def view_or_flow_option(self, attribute: str) -> tuple[Any, str]:
        """``(value, where)`` of ``attribute``: the view's own non-``None`` value (a class
        attribute or ``as_view()`` argument of the view, passed or not as a flow option), else
        this flow's."""
        value = getattr(self.view, attribute, None) if self.view is not None else None
        if value is not None and attribute not in self.view_options:
            return value, f"{type(self.view).__name__}.{attribute}"
        return getattr(self, attribute), self.where(attribute)

    # -- token store ---------------------------------------------------------------------------

    def get_token_store_class(self) -> type[BaseTokenStore] | None:
        """Return this flow's store class, or ``None`` for the configured one."""
        if self.token_store_class is None:
            return None
        where = self.where("token_store_class")
        return check_token_store_class(import_from_setting(self.token_store_class, where), where)

    def get_token_store_kwargs(self) -> dict[str, Any]:
        """Return the store options of ``token_store_kwargs``."""
        return dict(self.token_store_kwargs or {})

    def get_token_store_overrides(self) -> dict[str, Any]:
        """Options that beat every other, whichever store class is used: the e-mail + code
        flow sets its ``namespace`` and ``lifetime`` here."""
        return {}

    def get_token_lifetime(self) -> timedelta | None:
        """How long this flow's tokens live, or ``None`` for the configured lifetime (a
        ``lifetime`` in the store's options, else ``TOKEN_LIFETIME``, else
        ``TOKEN_EXPIRY_HOURS``). Reads ``token_lifetime`` (the view's, else the flow's); the
        store is built with it, so every ``expires_at`` follows. Override to vary it per
        request. A bad value raises ``ImproperlyConfigured`` naming where it was set."""
        value, where = self.view_or_flow_option("token_lifetime")
        if value is None:
            return None
        return parse_lifetime(value, where)

    def revokes_earlier_tokens(self) -> bool:
        """Whether issuing a token to a user first voids that user's outstanding tokens (only
        the newest link works): ``revoke_earlier_tokens`` (the view's, else the flow's), else
        ``REVOKE_EARLIER_TOKENS``."""
        value, _where = self.view_or_flow_option("revoke_earlier_tokens")
        if value is None:
            value = resetkit_settings.REVOKE_EARLIER_TOKENS
        return bool(value)

    def get_token_store(self) -> BaseTokenStore:
        """Return the store of this request (built once per request): the class and options of
        the hooks above, with :meth:`get_token_lifetime` as its ``lifetime`` when it says one.
        Override to hand over a store built another way."""
        if self._token_store is None:
            cls = self.get_token_store_class()
            lifetime = self.get_token_lifetime()
            options = {
                **self.get_token_store_kwargs(),
                **({} if lifetime is None else {"lifetime": lifetime}),
                **self.get_token_store_overrides(),
            }
            if cls is None:
                self._token_store = get_token_store(**options)
            else:
                where = self.where("token_store_kwargs")
                self._token_store = build_token_store(cls, options, where)
        return self._token_store

    # -- generator -----------------------------------------------------------------------------

    def get_token_generator(self) -> BaseTokenGenerator:
        """Return the generator of this request (built once per request): it makes new tokens,
        and says whether they are short codes. Override to vary it per request."""
        if self._token_generator is None:
            if self.token_generator_class is None:
                self._token_generator = get_token_generator()
            else:
                where = self.where("token_generator_class")
                cls = import_from_setting(self.token_generator_class, where)
                kwargs = self.token_generator_kwargs or {}
                self._token_generator = build_token_generator(cls, kwargs, where)
        return self._token_generator

    # -- users ---------------------------------------------------------------------------------

    def get_user_queryset(self) -> QuerySet[Any]:
        """Return the users this flow may find. Override to narrow it (e.g. one tenant).

        Read from the user model's write database (the primary), not a replica the router
        may pick for reads: an account created or reactivated a moment ago can ask for a
        reset at once, and each token records the password it was issued under, read fresh.
        """
        model = get_user_model()
        return model._default_manager.db_manager(router.db_for_write(model)).all()

    def is_user_eligible(self, user: Any) -> bool:
        """Return whether ``user`` may reset now: active, and with a usable password unless
        ``REQUIRE_USABLE_PASSWORD`` is off (accounts managed elsewhere, such as LDAP)."""
        if not getattr(user, "is_active", True):
            return False
        if resetkit_settings.REQUIRE_USABLE_PASSWORD:
            return bool(user.has_usable_password())
        return True

    # -- finding accounts by what a client typed (request step, and short codes) ---------------

    def get_lookup_field(self) -> str:
        """Return the user model field searched, from ``LOOKUP_FIELD``; ``__`` follows
        relations."""
        field: str = resetkit_settings.LOOKUP_FIELD
        return field

    def get_candidate_users(self, value: str) -> Iterable[Any]:
        """Return the accounts the database matches case-insensitively on the lookup field, from
        :meth:`get_user_queryset`. Override to find accounts another way."""
        field = self.get_lookup_field()
        candidates = self.get_user_queryset().filter(**{f"{field}__iexact": value})
        # A lookup through a to-many relation would list a user once per matching row.
        return candidates.distinct() if "__" in field else candidates

    def get_matching_users(self, value: str) -> list[Any]:
        """Return the candidates whose lookup field really matches ``value`` after Unicode
        normalisation and case folding, eligible or not. One query, account or not."""
        field = self.get_lookup_field()
        return [
            user
            for user in self.get_candidate_users(value)
            if any(identifiers_match(value, found) for found in lookup_values(user, field))
        ]

    def get_users_for_reset(self, value: str) -> list[Any]:
        """Return the matching accounts that may reset now: each gets its own token."""
        return [user for user in self.get_matching_users(value) if self.is_user_eligible(user)]

    # -- tokens presented by a client ----------------------------------------------------------

    def get_valid_token(self, key: str) -> ResetTokenLike:
        """Return the live token for ``key`` whose user is eligible, or answer the generic 404.

        A token of an ineligible user is kept: it works again if the account is reactivated
        before it expires.
        """
        token = self.get_lookup_store().get_token(key)
        if token is None or not self.is_user_eligible(token.user):
            self.token_not_found()
        return token

    def get_lookup_store(self) -> BaseTokenStore:
        """Return the store a presented long token is looked up in: the request's store,
        which reads the primary, except on the validate step when the store offers a reader
        that may lag (its ``for_validation()``: the ORM store's
        ``validate_reads_from_replica``). Short codes are always read fresh: a 404 from a
        lagging replica would cost an attempt of their budget."""
        store = self.get_token_store()
        validating = self.view is not None and self.view.get_reset_step() == "validate"
        if validating and not self.presents_short_codes():
            return store.for_validation()
        return store

    def token_not_found(self) -> NoReturn:
        """Raise the one answer for every unusable token. Override to change its body."""
        raise NotFound(INVALID_TOKEN_ERROR)
