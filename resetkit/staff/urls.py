"""Staff API URLs: ``path("<prefix>/", include("resetkit.staff.urls"))``.

The namespace is ``resetkit_staff``: ``reverse("resetkit_staff:token-list")``.
"""

from django.urls import path

from resetkit.staff.views import ResetTokenListView, RevokeUserTokensView, SendResetLinkView

app_name = "resetkit_staff"

urlpatterns = [
    path("tokens/", ResetTokenListView.as_view(), name="token-list"),
    path("revoke/", RevokeUserTokensView.as_view(), name="revoke-user-tokens"),
    path("send/", SendResetLinkView.as_view(), name="send-reset-link"),
]
