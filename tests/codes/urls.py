"""The suite's URLs plus the code flow's ViewSet on a router (tests/urls.py's router stays as
the stock tests expect it)."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from resetkit.codes.urls import add_reset_password_code_urls_to_router
from tests.urls import urlpatterns as suite_urlpatterns

router = DefaultRouter()
add_reset_password_code_urls_to_router(router, base_path="api/auth/passwordreset-code")

urlpatterns = [*suite_urlpatterns, path("coderouter/", include(router.urls))]
