"""The demo's own views: who am I (HTTP Basic) and a small password-reset page."""

from django.views.generic import TemplateView
from rest_framework.authentication import BasicAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView


class WhoAmI(APIView):
    """Return the authenticated user, so `curl -u user:password` proves a password works."""

    authentication_classes = [BasicAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request: Request) -> Response:
        return Response({"username": request.user.get_username(), "email": request.user.email})


class ResetPage(TemplateView):
    """The page the e-mailed link opens: it validates the token, then sets the password."""

    template_name = "demo/reset.html"
