"""The project's URLs: the endpoints of accounts/reset.py in the namespace password_reset."""

from django.urls import include, path

urlpatterns = [
    # accounts/reset.py names the full paths, so it is included at the root. The namespace is
    # the one reverse("password_reset:reset-password-request") and migrated code expect.
    path("", include(("accounts.reset", "password_reset"))),
]
