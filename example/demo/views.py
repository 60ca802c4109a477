"""The demo's own views: the front page, who am I (HTTP Basic) and the password-reset page."""

from typing import Any

from django.contrib.auth.password_validation import password_validators_help_texts
from django.http import HttpRequest, HttpResponseBase
from django.urls import Resolver404, resolve, reverse
from django.utils.cache import add_never_cache_headers
from django.views.generic import TemplateView
from rest_framework.authentication import BasicAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from demo.management.commands.create_demo_user import (
    ADMIN_PASSWORD,
    ADMIN_USERNAME,
    EMAIL,
    PASSWORD,
    USERNAME,
)

# The published documentation; `make docs` builds the same pages into site/.
DOCS_URL = "https://django-resetkit.readthedocs.io/"

# The page loads its script and style from this origin only and may not be framed: a token held
# in the page's memory is only as safe as the code allowed to run next to it.
RESET_PAGE_CSP = "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"


class WhoAmI(APIView):
    """Return the authenticated user, so `curl -u user:password` proves a password works."""

    authentication_classes = [BasicAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"username": request.user.get_username(), "email": request.user.email})


def code_flow_urls() -> dict[str, str] | None:
    """The endpoints of the e-mail + code flow (``resetkit.codes``), or ``None`` when this
    project does not serve them (``demo/urls.py`` includes them only if resetkit has them)."""
    base = reverse("password_reset:reset-password-request") + "code/"
    try:
        resolve(base + "confirm/")
    except Resolver404:
        return None
    return {"request": base, "validate": base + "validate/", "confirm": base + "confirm/"}


class ResetPage(TemplateView):
    """The "forgot password" form, and the page the e-mailed link opens (``/reset/#token=...``).

    The token arrives in the address's fragment, which the browser never sends to the server (so
    no access log holds it); the page's script moves it into memory and out of the address bar.
    The headers keep it from leaking meanwhile: ``no-referrer`` so no request the page makes names
    the tokened URL, ``no-store`` so no cache keeps a copy. With ``resetkit.codes`` installed the
    page also offers "I have a code": e-mail, code and new password in one form.
    """

    template_name = "demo/reset.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # The rules of AUTH_PASSWORD_VALIDATORS, shown before the user types, not only after.
        context["password_help_texts"] = password_validators_help_texts()
        context["code_urls"] = code_flow_urls()
        return context

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(request, *args, **kwargs)
        # Set here, SecurityMiddleware's site-wide SECURE_REFERRER_POLICY does not override it.
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["Content-Security-Policy"] = RESET_PAGE_CSP
        add_never_cache_headers(response)
        return response


class HomePage(TemplateView):
    """The demo's front door: where to go, and with which accounts."""

    template_name = "demo/index.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["demo_user"] = {"username": USERNAME, "email": EMAIL, "password": PASSWORD}
        context["admin_user"] = {"username": ADMIN_USERNAME, "password": ADMIN_PASSWORD}
        context["docs_url"] = DOCS_URL
        return context
