"""The three endpoints as resetkit ships them, under ``api/password_reset/``."""

from django.urls import include, path

urlpatterns = [
    path("api/password_reset/", include("resetkit.urls", namespace="password_reset")),
]
