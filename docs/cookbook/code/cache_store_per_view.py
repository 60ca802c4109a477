"""These three endpoints keep their tokens in the cache, whatever ``RESETKIT["TOKEN_STORE"]``
says for the rest of the project."""

from django.urls import include, path

from resetkit.backends.cache import CacheTokenStore
from resetkit.flows import PasswordResetFlow
from resetkit.urls import get_urlpatterns


class CacheFlow(PasswordResetFlow):
    """The store of the three steps, set once: a token issued by one is found by the others."""

    token_store_class = CacheTokenStore
    token_store_kwargs = {"cache_alias": "default"}


urlpatterns = [
    path(
        "api/password_reset/",
        include((get_urlpatterns(flow_class=CacheFlow), "password_reset")),
    ),
]
