"""resetkit's three endpoints as a project includes them, plus one tenant's request endpoint."""

from django.urls import include, path

from tests.e2e.project.views import TenantPasswordResetRequest

urlpatterns = [
    path("api/password_reset/", include("resetkit.urls", namespace="password_reset")),
    path(
        "api/tenant/password_reset/",
        TenantPasswordResetRequest.as_view(
            tenant_domain="tenant.example", subject_prefix="[Tenant]"
        ),
        name="tenant-password-reset",
    ),
]
