"""URLs of the demo project."""

from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from demo.views import HomePage, ResetPage, WhoAmI

# resetkit's three endpoints: request a token, validate it, confirm a new password.
password_reset = path("api/password_reset/", include("resetkit.urls", namespace="password_reset"))


# The e-mail + code flow (resetkit.codes): a short code by e-mail, typed on the reset page.
code_reset = path(
    "api/password_reset/code/", include("resetkit.codes.urls", namespace="password_reset_code")
)

urlpatterns = [
    path("", HomePage.as_view(), name="home"),
    password_reset,
    code_reset,
    path("api/whoami/", WhoAmI.as_view(), name="whoami"),
    path("api-auth/", include("rest_framework.urls")),
    path("reset/", ensure_csrf_cookie(ResetPage.as_view()), name="reset-page"),
    path("admin/", admin.site.urls),
    # The OpenAPI 3 schema of the reset and code endpoints (whoami is a login check, not part
    # of the API), and Swagger UI to read it and try them.
    path(
        "api/schema/",
        SpectacularAPIView.as_view(urlconf=[password_reset, code_reset]),
        name="schema",
    ),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]
