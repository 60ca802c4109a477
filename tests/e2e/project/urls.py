"""resetkit's three endpoints as a project includes them, one tenant's request endpoint, and
the demo's reset page (``example/demo``) with the files it loads."""

import sys

from django.conf import settings
from django.urls import include, path, re_path
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.static import serve

from tests.e2e.project.views import TenantPasswordResetRequest

if str(settings.EXAMPLE_DIR) not in sys.path:
    sys.path.append(str(settings.EXAMPLE_DIR))

# example/ is a project directory of its own, not a package of this repository.
from demo.views import ResetPage

urlpatterns = [
    path("api/password_reset/", include("resetkit.urls", namespace="password_reset")),
    path(
        "api/tenant/password_reset/",
        TenantPasswordResetRequest.as_view(
            tenant_domain="tenant.example", subject_prefix="[Tenant]"
        ),
        name="tenant-password-reset",
    ),
    # As the demo routes it.
    path("reset/", ensure_csrf_cookie(ResetPage.as_view()), name="reset-page"),
    # The page's script and stylesheet, served by the application itself (DEBUG is off, and
    # there is no web server in front here).
    re_path(r"^static/(?P<path>demo/.*)$", serve, {"document_root": settings.DEMO_STATIC_ROOT}),
]
