"""The staff-only API: list outstanding reset requests, revoke all tokens of a user, send a
user a reset link.

Every view requires ``is_staff`` (DRF's ``IsAdminUser``) and, as the admin does, a permission on
the token model: ``view`` to list, ``delete`` to revoke, ``add`` to send a link (superusers hold
every permission). They use the project's authentication classes. Listing reads the ORM store's
table; revoking and sending go through the configured store, so they work with the cache store
too.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

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
from resetkit.staff.serializers import (
    RevokeUserTokensSerializer,
    SendResetLinkSerializer,
    StaffResetTokenSerializer,
)
from resetkit.staff.tokens import (
    NOT_SENT_REASONS,
    revoke_all_tokens,
    send_reset_link,
    store_lists_tokens,
    token_permission,
)

if TYPE_CHECKING:
    from resetkit.issuing import UserIssueOutcome

CANNOT_LIST_ERROR = _(
    "The configured token store keeps tokens in a cache, which cannot list them. Outstanding "
    "reset requests can only be listed with the database token store; revoking a user's "
    "tokens works with either."
)


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


class SendResetLinkView(StaffPermissionsMixin, GenericAPIView):
    """POST ``{"user": <pk>}``: issue that user a reset token and deliver it, as if they had
    asked themselves (:func:`resetkit.staff.tokens.send_reset_link`).

    The request endpoint's path runs now, through its view (``request_view_class``) so its
    hooks apply: eligibility, the account's budget (``ACCOUNT_TOKEN_RATE``), the configured
    store, the ``reset_password_token_created`` receivers. Answers 200 ``{"status": "OK",
    "sent": ..., "reason": ...}`` (with ``detail`` when nothing was sent); never the token.
    """

    permission_classes = (IsAdminUser, HasTokenModelPermissions)
    #: The admin's permission to add rows: sending a link issues one.
    required_permissions = ("add",)
    serializer_class = SendResetLinkSerializer
    #: The request view whose issuing hooks run; ``None``:
    #: :class:`resetkit.views.ResetPasswordRequestToken`.
    request_view_class: type | None = None

    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = self.perform_send(serializer.validated_data["user"])
        body: dict[str, Any] = {"status": "OK", "sent": outcome.sent, "reason": outcome.reason}
        if not outcome.sent:
            body["detail"] = NOT_SENT_REASONS.get(outcome.reason, outcome.reason)
        return Response(body, status=status.HTTP_200_OK)

    def perform_send(self, user: Any) -> UserIssueOutcome:
        """Send ``user`` a link on behalf of the requesting staff member; return the
        :class:`~resetkit.issuing.UserIssueOutcome` (whose token must not reach the answer)."""
        return send_reset_link(
            user,
            self.request.user,
            request=self.request._request,
            via="api",
            view_class=self.request_view_class,
        )


try:
    import drf_spectacular  # noqa: F401
except ImportError:  # pragma: no cover - the "spectacular" extra is not installed
    pass
else:  # Describe the send answer in OpenAPI; defining the extension registers it.
    import resetkit.staff.schema  # noqa: F401
