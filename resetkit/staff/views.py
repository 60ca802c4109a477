"""The staff-only API: list outstanding reset requests, revoke all tokens of a user.

Both views require ``is_staff`` (DRF's ``IsAdminUser``) and use the project's authentication
classes. Listing reads the ORM store's table; revoking goes through the configured store, so
it works with the cache store too.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response

from resetkit.models import ResetPasswordToken
from resetkit.staff.filters import ResetTokenFilterSet
from resetkit.staff.serializers import RevokeUserTokensSerializer, StaffResetTokenSerializer
from resetkit.staff.tokens import revoke_all_tokens, store_lists_tokens

CANNOT_LIST_ERROR = _(
    "The configured token store keeps tokens in a cache, which cannot list them. Outstanding "
    "reset requests can only be listed with the database token store; revoking a user's "
    "tokens works with either."
)


class StaffPagination(PageNumberPagination):
    """Pages of 50 rows; ``?page_size=`` asks for up to 500."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class ResetTokenListView(ListAPIView):
    """List outstanding reset requests, newest first, with the filters of
    :class:`~resetkit.staff.filters.ResetTokenFilterSet`."""

    permission_classes = (IsAdminUser,)
    serializer_class = StaffResetTokenSerializer
    filter_backends = (DjangoFilterBackend,)
    filterset_class = ResetTokenFilterSet
    pagination_class = StaffPagination

    def get_queryset(self) -> QuerySet[ResetPasswordToken]:
        """Return every row, newest first; the primary key keeps pages stable on ties."""
        return ResetPasswordToken._default_manager.select_related("user").order_by(
            "-created_at", "-pk"
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not store_lists_tokens():
            return self.get_cannot_list_response()
        return super().list(request, *args, **kwargs)

    def get_cannot_list_response(self) -> Response:
        """Answer 501 when the configured store cannot be listed (a cache store)."""
        return Response({"detail": CANNOT_LIST_ERROR}, status=status.HTTP_501_NOT_IMPLEMENTED)


class RevokeUserTokensView(GenericAPIView):
    """POST ``{"user": <pk>}``: every outstanding reset token of that user stops working.

    Answers 204: the contract of a store does not report how many tokens it revoked (a
    cache store cannot know).
    """

    permission_classes = (IsAdminUser,)
    serializer_class = RevokeUserTokensSerializer

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_revoke(serializer.validated_data["user"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_revoke(self, user: Any) -> None:
        """Revoke ``user``'s tokens. Override to audit-log who revoked whose tokens."""
        revoke_all_tokens(user)
