"""A project's user admin with resetkit's ``send_reset_link`` action, on an admin site of its own.

Test-only: the suite's default admin site keeps Django's and resetkit's registrations as they
are. Used as the URLconf of the action's tests (``@pytest.mark.urls``).
"""

from django.contrib import admin
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.urls import include, path

from resetkit.admin import send_reset_link


class ResetLinkUserAdmin(auth_admin.UserAdmin):
    """What the documentation shows a project writing."""

    actions = [send_reset_link]


site = admin.AdminSite(name="useradmin")
site.register(get_user_model(), ResetLinkUserAdmin)

urlpatterns = [
    path("useradmin/", site.urls),
    path("admin/", admin.site.urls),
    path("api/password_reset/", include("resetkit.urls", namespace="password_reset")),
]
