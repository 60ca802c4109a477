"""Admin for the ORM store's tokens: who asked, when, from where; never the token.

Rows hold digests, which are useless to a reader, so they are not shown at all rather than
shown as if they could be pasted into a reset link. Tokens cannot be added here (nobody would
see the token); they can be deleted, which revokes them.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from resetkit.models import ResetPasswordToken


@admin.register(ResetPasswordToken)
class ResetPasswordTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "created_at", "expires_at", "ip_address", "user_agent")
    list_select_related = ("user",)
    search_fields = ("user__email",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    exclude = ("digest",)
    readonly_fields = ("user", "created_at", "expires_at", "ip_address", "user_agent")

    @admin.display(description=_("expires at"))
    def expires_at(self, obj: ResetPasswordToken) -> Any:
        return obj.expires_at

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
