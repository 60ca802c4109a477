"""Shared hooks on a view, as they were before flows: still honoured, for that view alone.

Before :class:`~resetkit.flows.PasswordResetFlow`, the hooks the three steps share lived on
each view. A view subclass that overrides one (``is_user_eligible``, ``get_user_queryset``, ...)
keeps working: its flow calls the view's method wherever it would call its own, and the view's
``super()`` reaches the flow's. Override such hooks on a flow instead: once, for every endpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn

from django.core.exceptions import ImproperlyConfigured

if TYPE_CHECKING:
    from resetkit.attempts import Attempt, CodeAttempts, CodeGuessBudget
    from resetkit.backends import BaseTokenStore, ResetTokenLike
    from resetkit.flows import PasswordResetFlow
    from resetkit.generators import BaseTokenGenerator

__all__ = ["FLOW_HOOKS", "REMOVED_HOOKS", "ViewFlowHooks", "view_overrides"]

#: The flow hooks a view subclass may still override for itself.
FLOW_HOOKS = (
    "get_token_store_class",
    "get_token_store_kwargs",
    "get_token_store_overrides",
    "get_token_store",
    "get_token_generator",
    "get_user_queryset",
    "is_user_eligible",
    "get_lookup_field",
    "get_candidate_users",
    "get_matching_users",
    "get_users_for_reset",
    "get_valid_token",
    "token_not_found",
    "get_presented_token",
    "presents_short_codes",
    "codes_bound_to_account",
    "get_code_attempts",
    "get_bound_token",
    "code_attempt_failed",
    "release_code_attempt",
    "clear_code_attempts",
    "get_code_guess_budget",
    "get_guessed_token",
    "get_token_lifetime",
    "revokes_earlier_tokens",
)

#: Hooks that no longer exist, and what replaced them: overriding one fails loudly.
REMOVED_HOOKS = {
    "get_code_accounts": "get_matching_users(value) on the flow",
}


class ViewFlowHooks:
    """Each of :data:`FLOW_HOOKS` on a view: the flow's, called on this request's flow."""

    if TYPE_CHECKING:

        def get_flow(self) -> PasswordResetFlow: ...
        def get_token_store_class(self) -> type[BaseTokenStore] | None: ...
        def get_token_store_kwargs(self) -> dict[str, Any]: ...
        def get_token_store_overrides(self) -> dict[str, Any]: ...
        def get_token_store(self) -> BaseTokenStore: ...
        def get_token_generator(self) -> BaseTokenGenerator: ...
        def get_user_queryset(self) -> Any: ...
        def is_user_eligible(self, user: Any) -> bool: ...
        def get_lookup_field(self) -> str: ...
        def get_candidate_users(self, value: str) -> Iterable[Any]: ...
        def get_matching_users(self, value: str) -> list[Any]: ...
        def get_users_for_reset(self, value: str) -> list[Any]: ...
        def get_valid_token(self, key: str) -> ResetTokenLike: ...
        def token_not_found(self) -> NoReturn: ...
        def get_presented_token(self, validated_data: Mapping[str, Any]) -> ResetTokenLike: ...
        def presents_short_codes(self) -> bool: ...
        def codes_bound_to_account(self) -> bool: ...
        def get_code_attempts(self) -> CodeAttempts: ...
        def get_bound_token(self, key: str, identifier: str) -> ResetTokenLike: ...
        def code_attempt_failed(self, attempts: CodeAttempts, attempt: Attempt) -> None: ...
        def release_code_attempt(self) -> None: ...
        def clear_code_attempts(self) -> None: ...
        def get_code_guess_budget(self) -> CodeGuessBudget: ...
        def get_guessed_token(self, key: str) -> ResetTokenLike: ...


def _flow_hook(name: str) -> Callable[..., Any]:
    def hook(self: Any, *args: Any, **kwargs: Any) -> Any:
        flow = self.get_flow()
        # The flow class's own method: an instance entry would be this view's override again.
        return getattr(type(flow), name)(flow, *args, **kwargs)

    hook.__name__ = hook.__qualname__ = name
    hook.__doc__ = (
        f"The flow's ``{name}()``. Override it on a flow to change every step; overridden on a "
        "view, it stands in for the flow's on that view only."
    )
    return hook


for _name in FLOW_HOOKS:
    setattr(ViewFlowHooks, _name, _flow_hook(_name))


def view_overrides(view_class: type, flow_class: type) -> tuple[str, ...]:
    """The flow hooks ``view_class`` overrides; raise for a hook that no longer exists. Read
    per request (a few attribute lookups), so a hook patched in a test is seen."""
    for cls in (view_class, flow_class):
        for name, replacement in REMOVED_HOOKS.items():
            if hasattr(cls, name):
                raise ImproperlyConfigured(
                    f"{cls.__qualname__}.{name}() is no longer called: override {replacement}."
                )
    return tuple(
        name for name in FLOW_HOOKS if getattr(view_class, name) is not getattr(ViewFlowHooks, name)
    )
