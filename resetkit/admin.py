"""Admin for the ORM store's tokens: who asked, when, from where; never the token.

Rows hold digests, which are useless to a reader, so they are not shown at all rather than
shown as if they could be pasted into a reset link. Tokens cannot be added here (nobody would
see the token); they can be deleted, which revokes them.
"""

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from resetkit.models import ResetPasswordToken


@admin.register(ResetPasswordToken)
class ResetPasswordTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "expires_at", "ip_address", "user_agent")
    list_select_related = ("user",)
    # Resolved per request from the user model (see get_search_fields), so a custom user
    # whose e-mail field is not called "email" can still be searched.
    search_fields = ()
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    exclude = ("digest",)
    readonly_fields = ("user", "created_at", "expires_at", "ip_address", "user_agent")

    @admin.display(description=_("expires at"))
    def expires_at(self, obj: ResetPasswordToken) -> Any:
        return obj.expires_at

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
