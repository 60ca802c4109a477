from django.contrib import admin
from django.urls import include, path
from rest_framework.routers import DefaultRouter
from rest_framework_simplejwt.views import TokenRefreshView

from resetkit.urls import add_reset_password_urls_to_router

router = DefaultRouter()
add_reset_password_urls_to_router(router, base_path="api/auth/passwordreset")

urlpatterns = [
    path("admin/", admin.site.urls),
    path(
        "api/password_reset/code/", include("resetkit.codes.urls", namespace="password_reset_code")
    ),
    path("api/password_reset/", include("resetkit.urls", namespace="password_reset")),
    path("router/", include(router.urls)),
    path("staff/", include("resetkit.staff.urls")),
    path("jwt/refresh/", TokenRefreshView.as_view()),
]
