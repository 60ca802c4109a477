"""Request views with overridden hooks, at module level so that a task worker can import them."""

from __future__ import annotations

import threading
from typing import Any

from django.utils import translation

from resetkit.views import ResetPasswordRequestToken

#: What the overridden hooks saw, for the tests to read.
SEEN: list[dict[str, Any]] = []


class StaffOnlyRequest(ResetPasswordRequestToken):
    """Only staff may reset; each delivery is recorded with what the worker's view had."""

    def get_user_queryset(self) -> Any:
        return super().get_user_queryset().filter(is_staff=True)

    def deliver_token(self, token: Any) -> None:
        SEEN.append(
            {
                "key": token.key,
                "user": token.user,
                "thread": threading.current_thread().name,
                "view": self,
                "link": self.request.build_absolute_uri(f"/reset?token={token.key}"),
                "language": translation.get_language(),
                "data": dict(self.request.data),
                "url_kwargs": dict(self.kwargs),
                "ip_address": token.ip_address,
                "user_agent": token.user_agent,
            }
        )
        super().deliver_token(token)
