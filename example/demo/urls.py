"""URLs of the demo project."""

from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import ensure_csrf_cookie

from demo.views import ResetPage, WhoAmI

urlpatterns = [
    # resetkit's three endpoints: request a token, validate it, confirm a new password.
    path("api/password_reset/", include("resetkit.urls", namespace="password_reset")),
    path("api/whoami/", WhoAmI.as_view(), name="whoami"),
    path("api-auth/", include("rest_framework.urls")),
    path("reset/", ensure_csrf_cookie(ResetPage.as_view()), name="reset-page"),
    path("admin/", admin.site.urls),
]
