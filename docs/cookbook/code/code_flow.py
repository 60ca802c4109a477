"""Reset with a six-digit code sent by e-mail instead of a link.

POST ``{"email"}`` to ``api/password_reset/code/`` e-mails a code; POST ``{"email", "code",
"password"}`` to ``api/password_reset/code/confirm/`` sets the password. Five wrong codes for
one account revoke all of that account's codes.
"""

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.mail import send_mail
from django.urls import path
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from resetkit.backends import ResetTokenLike
from resetkit.backends.cache import CacheTokenStore
from resetkit.generators import RandomNumberTokenGenerator
from resetkit.mixins import PasswordConfirmMixin, TokenIssueMixin
from resetkit.mixins.issue import identifiers_match
from resetkit.serializers import EmailSerializer
from resetkit.throttling import REQUEST_TOKEN_SCOPE, RESET_CONFIRM_SCOPE

logger = logging.getLogger(__name__)


class CodeStore:
    """Both views keep the codes in a part of the cache of their own, so that the stock validate
    and confirm endpoints, which do not count wrong codes per account, cannot be used to guess
    them."""

    token_store_class = CacheTokenStore
    token_store_kwargs = {"cache_alias": "default", "key_prefix": "reset-code"}


class RequestCode(CodeStore, TokenIssueMixin, GenericAPIView):
    """POST ``{"email"}``: e-mail a code to each matching account; answers the same for all."""

    serializer_class = EmailSerializer
    authentication_classes = ()
    permission_classes = ()
    throttle_scope = REQUEST_TOKEN_SCOPE
    token_generator_class = RandomNumberTokenGenerator
    token_generator_kwargs = {"min_number": 100000, "max_number": 999999}

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.issue_tokens(request, *args, **kwargs)

    def deliver_token(self, token: ResetTokenLike) -> None:
        # Sent here rather than by a receiver of reset_password_token_created, so that no
        # receiver meant for reset links (resetkit.contrib.email) gets a code.
        try:
            send_mail(
                "Your password reset code",
                f"Your code is {token.key}. It works once.\n"
                "If you did not ask for it, ignore this e-mail.",
                None,  # DEFAULT_FROM_EMAIL
                [token.user.email],
            )
        except Exception:
            logger.exception("could not e-mail a reset code to user pk=%s", token.user.pk)


class CodeConfirmSerializer(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    # source="token": the confirm step reads validated_data["token"].
    code = serializers.RegexField(r"^[0-9]{6}$", source="token")
    password = serializers.CharField(
        max_length=4096, trim_whitespace=False, style={"input_type": "password"}
    )


class ConfirmWithCode(CodeStore, PasswordConfirmMixin, GenericAPIView):
    """POST ``{"email", "code", "password"}``: set the password of the account with that
    e-mail, if the code is one of its codes; otherwise the generic 404."""

    serializer_class = CodeConfirmSerializer
    authentication_classes = ()
    permission_classes = ()
    throttle_scope = RESET_CONFIRM_SCOPE
    #: Wrong codes an account tolerates; the last one revokes all its codes.
    max_failed_codes = 5

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self.confirm_reset(request, *args, **kwargs)

    def get_valid_token(self, key: str) -> ResetTokenLike:
        """Return the token only if it belongs to an account with the submitted e-mail; count a
        failure for those accounts otherwise."""
        # The serializer has already validated the address; EmailField only trims it.
        accounts = self.get_accounts(str(self.request.data["email"]).strip())
        token = self.get_token_store().get_token(key)
        if token is not None and token.user.pk in {account.pk for account in accounts}:
            return token
        for account in accounts:
            self.record_failed_code(account)
        self.token_not_found()

    def get_accounts(self, email: str) -> list[Any]:
        """Return the accounts that may reset and whose e-mail is ``email``."""
        field = get_user_model().get_email_field_name()
        matches = self.get_user_queryset().filter(**{f"{field}__iexact": email})
        return [
            user
            for user in matches
            if self.is_user_eligible(user) and identifiers_match(email, getattr(user, field))
        ]

    def failures_cache_key(self, user: Any) -> str:
        return f"reset-code-failures:{user.pk}"

    def record_failed_code(self, user: Any) -> None:
        """Count a wrong code for ``user``; at ``max_failed_codes`` revoke all of its codes."""
        store = self.get_token_store()
        key = self.failures_cache_key(user)
        # add() then incr(): atomic on Redis and Memcached, so parallel guesses all count.
        cache.add(key, 0, timeout=store.get_expiry_seconds())
        if cache.incr(key) >= self.max_failed_codes:
            store.revoke_user_tokens(user)
            cache.delete(key)

    def perform_reset(self, token: ResetTokenLike, password: str) -> None:
        super().perform_reset(token, password)
        cache.delete(self.failures_cache_key(token.user))


urlpatterns = [
    path("api/password_reset/code/", RequestCode.as_view(), name="reset-code-request"),
    path(
        "api/password_reset/code/confirm/",
        ConfirmWithCode.as_view(),
        name="reset-code-confirm",
    ),
]
