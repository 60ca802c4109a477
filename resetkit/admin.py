"""Admin for the ORM store's tokens: who asked, when, from where; never the token.

Rows hold digests, which are useless to a reader, so they are not shown at all rather than
shown as if they could be pasted into a reset link. Tokens cannot be added here (nobody would
see the token). Deleting a row revokes that one token; the "revoke all tokens of these users"
action revokes every outstanding token of the selected rows' users, in whichever store holds
them (see :func:`resetkit.staff.tokens.revoke_all_tokens`).

:func:`send_reset_link` is an action for the project's *user* admin (resetkit does not register
one): it sends each selected user a reset link, as if they had asked::

    from resetkit.admin import send_reset_link

    class UserAdmin(auth_admin.UserAdmin):
        actions = [*auth_admin.UserAdmin.actions, send_reset_link]
"""

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from resetkit.models import ResetPasswordToken
from resetkit.staff.tokens import (
    ACTIVE,
    EXPIRED,
    STATE_CHOICES,
    expiry_cutoff,
    filter_by_state,
    revoke_all_tokens,
    token_permission,
)
from resetkit.staff.tokens import send_reset_link as send_link_to_user


class TokenStateListFilter(admin.SimpleListFilter):
    """Active or expired, computed from ``created_at`` and the current ``TOKEN_EXPIRY_HOURS``."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(STATE_CHOICES)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return filter_by_state(queryset, value) if value else queryset


@admin.register(ResetPasswordToken)
class ResetPasswordTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "expires_at", "state", "ip_address", "user_agent")
    list_filter = (TokenStateListFilter,)
    list_select_related = ("user",)
    # Resolved per request from the user model (see get_search_fields), so a custom user
    # whose e-mail field is not called "email" can still be searched.
    search_fields = ()
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    exclude = ("digest",)
    readonly_fields = ("user", "created_at", "expires_at", "state", "ip_address", "user_agent")
    actions = ("revoke_users_tokens",)

    @admin.display(description=_("expires at"), ordering="created_at")
    def expires_at(self, obj: ResetPasswordToken) -> str:
        # Formatted as the admin formats created_at: a computed value would otherwise show
        # as Python's str() of a datetime on the change page.
        expires_at = obj.expires_at
        if timezone.is_aware(expires_at):
            expires_at = timezone.localtime(expires_at)
        return str(formats.localize(expires_at))

    @admin.display(description=_("state"))
    def state(self, obj: ResetPasswordToken) -> str:
        """ "Active" or "Expired", under the current ``TOKEN_EXPIRY_HOURS`` (as the filter)."""
        labels = dict(STATE_CHOICES)
        return str(capfirst(labels[EXPIRED if obj.created_at < expiry_cutoff() else ACTIVE]))

    @admin.action(
        description=_("Revoke all reset tokens of the selected tokens' users"),
        permissions=["delete"],
    )
    def revoke_users_tokens(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        """Revoke every outstanding token of each selected row's user, not only that row:
        after a suspected compromise every link already sent must die."""
        user_model = get_user_model()
        user_pks = set(queryset.values_list("user", flat=True))
        users = list(user_model._default_manager.filter(pk__in=user_pks))
        for user in users:
            revoke_all_tokens(user)
        self.message_user(
            request,
            ngettext(
                "Revoked all password reset tokens of %(count)d user.",
                "Revoked all password reset tokens of %(count)d users.",
                len(users),
            )
            % {"count": len(users)},
            messages.SUCCESS,
        )

    def get_search_fields(self, request: HttpRequest) -> list[str] | tuple[str, ...]:
        """Search by the user's e-mail field and username field, whatever they are called."""
        if self.search_fields:
            return self.search_fields
        user_model = get_user_model()
        names = [user_model.get_email_field_name(), user_model.USERNAME_FIELD]
        return tuple(f"user__{name}" for name in dict.fromkeys(names))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.action(description=_("Send a password reset link to the selected users"))
def send_reset_link(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    """Admin action for a user admin: send each selected user a reset link, as if they had
    asked (:func:`resetkit.staff.tokens.send_reset_link`: eligibility, the account budget, the
    configured store, the ``reset_password_token_created`` receivers). Nobody sees a token.

    Needs the *add* permission on password reset tokens (``resetkit.add_resetpasswordtoken``),
    as the staff API's ``send/`` does; without it nothing is sent. A user admin may set
    ``reset_request_view_class`` to the request view whose hooks should run.
    """
    if not request.user.has_perm(token_permission("add")):
        modeladmin.message_user(
            request,
            _(
                "You do not have permission to send password reset links (it needs the "
                "“add password reset token” permission)."
            ),
            messages.ERROR,
        )
        return
    view_class = getattr(modeladmin, "reset_request_view_class", None)
    sent = 0
    skipped: dict[str, int] = {}
    for user in queryset:
        outcome = send_link_to_user(
            user, request.user, request=request, via="admin", view_class=view_class
        )
        if outcome.sent:
            sent += 1
        else:
            skipped[outcome.reason] = skipped.get(outcome.reason, 0) + 1
    if sent or not skipped:
        modeladmin.message_user(
            request,
            ngettext(
                "Sent a password reset link to %(count)d user.",
                "Sent a password reset link to %(count)d users.",
                sent,
            )
            % {"count": sent},
            messages.SUCCESS,
        )
    if skipped:
        reasons = {"budget_spent": _("budget spent"), "not_eligible": _("not eligible")}
        details = ", ".join(
            f"{reasons.get(reason, reason)}: {count}" for reason, count in sorted(skipped.items())
        )
        total = sum(skipped.values())
        modeladmin.message_user(
            request,
            ngettext(
                "Skipped %(count)d user (%(details)s).",
                "Skipped %(count)d users (%(details)s).",
                total,
            )
            % {"count": total, "details": details},
            messages.WARNING,
        )
