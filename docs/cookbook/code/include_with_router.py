"""The three endpoints as ViewSets on a DRF router, under ``api/auth/passwordreset/``."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from resetkit.urls import add_reset_password_urls_to_router

router = DefaultRouter()
add_reset_password_urls_to_router(router, base_path="api/auth/passwordreset")

urlpatterns = [
    path("", include(router.urls)),
]
