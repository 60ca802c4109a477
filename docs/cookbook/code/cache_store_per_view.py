"""These three endpoints keep their tokens in the cache, whatever ``RESETKIT["TOKEN_STORE"]``
says for the rest of the project."""

from django.urls import path

from resetkit.backends.cache import CacheTokenStore
from resetkit.views import (
    ResetPasswordConfirm,
    ResetPasswordRequestToken,
    ResetPasswordValidateToken,
)

# The same store on all three views: a token issued by one must be found by the others.
store = {"token_store_class": CacheTokenStore, "token_store_kwargs": {"cache_alias": "default"}}

urlpatterns = [
    path(
        "api/password_reset/",
        ResetPasswordRequestToken.as_view(**store),
        name="reset-password-request",
    ),
    path(
        "api/password_reset/validate_token/",
        ResetPasswordValidateToken.as_view(**store),
        name="reset-password-validate",
    ),
    path(
        "api/password_reset/confirm/",
        ResetPasswordConfirm.as_view(**store),
        name="reset-password-confirm",
    ),
]
