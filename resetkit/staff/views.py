"""The staff-only API: list outstanding reset requests, revoke all tokens of a user.

Both views require ``is_staff`` (DRF's ``IsAdminUser``) and, as the admin does, a permission on
the token model: ``view`` to list, ``delete`` to revoke (superusers hold every permission).
They use the project's authentication classes. Listing reads the ORM store's table; revoking
goes through the configured store, so it works with the cache store too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_permission_codename
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import status
from rest_framework.generics import GenericAPIView, ListAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import BasePermission, IsAdminUser
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


def token_permission(action: str) -> str:
    """The token model's ``action`` permission: ``resetkit.view_resetpasswordtoken``..."""
    opts = ResetPasswordToken._meta
    return f"{opts.app_label}.{get_permission_codename(action, opts)}"


class HasTokenModelPermissions(BasePermission):
    """The user holds every permission the view names in ``get_required_permissions()``,
    as ``user.has_perms()`` reports them (the auth backends; superusers hold them all)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        return bool(user.has_perms(view.get_required_permissions()))


class StaffPermissionsMixin:
    """What :class:`HasTokenModelPermissions` asks of a staff view: the token model's
    ``required_permissions``."""

    #: Actions on the token model (``"view"``, ``"delete"``...) the user needs permission for.
    required_permissions: Sequence[str] = ()

    def get_required_permissions(self) -> list[str]:
        """The full permission names of ``required_permissions``."""
        return [token_permission(action) for action in self.required_permissions]


class StaffPagination(PageNumberPagination):
    """Pages of 50 rows; ``?page_size=`` asks for up to 500."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class ResetTokenListView(StaffPermissionsMixin, ListAPIView):
    """List outstanding reset requests, newest first, with the filters of
    :class:`~resetkit.staff.filters.ResetTokenFilterSet`."""

    permission_classes = (IsAdminUser, HasTokenModelPermissions)
    #: The admin's permission to see the rows.
    required_permissions = ("view",)
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


class RevokeUserTokensView(StaffPermissionsMixin, GenericAPIView):
    """POST ``{"user": <pk>}``: every outstanding reset token of that user stops working.

    Answers 204: the contract of a store does not report how many tokens it revoked (a
    cache store cannot know).
    """

    permission_classes = (IsAdminUser, HasTokenModelPermissions)
    #: The admin's permission to delete the rows.
    required_permissions = ("delete",)
    serializer_class = RevokeUserTokensSerializer

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.perform_revoke(serializer.validated_data["user"])
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_revoke(self, user: Any) -> None:
        """Revoke ``user``'s tokens. Override to audit-log who revoked whose tokens."""
        revoke_all_tokens(user)
