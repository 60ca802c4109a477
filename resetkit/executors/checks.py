"""System checks for the issue executors: catch at startup what would fail at enqueue time.

IDs: E012 ``ISSUE_EXECUTOR`` cannot be built; E013 a routed request view whose jobs must leave
the process (``TasksExecutor``) but cannot (a view class a worker cannot import, an
``as_view()`` option a worker cannot rebuild).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core import checks
from django.core.exceptions import ImproperlyConfigured


def routed_views(patterns: Any) -> Iterator[Any]:
    """Yield every view callable of a URLconf, following ``include()``."""
    for pattern in patterns:
        nested = getattr(pattern, "url_patterns", None)
        if nested is not None:
            yield from routed_views(nested)
        elif getattr(pattern, "callback", None) is not None:
            yield pattern.callback


@checks.register(checks.Tags.urls)
def check_issue_executors(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    from django.urls import get_resolver

    from resetkit.checks.settings import settings_are_valid
    from resetkit.executors import IssueJob, get_issue_executor
    from resetkit.mixins import TokenIssueMixin

    if not settings_are_valid():  # reported once, by resetkit.E001
        return []
    try:
        get_issue_executor()
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="resetkit.E012")]

    messages: list[checks.CheckMessage] = []
    for callback in routed_views(get_resolver().url_patterns):
        view_class = getattr(callback, "cls", None)
        if not (isinstance(view_class, type) and issubclass(view_class, TokenIssueMixin)):
            continue
        initkwargs = dict(getattr(callback, "initkwargs", {}) or {})
        try:
            view = view_class(**initkwargs)
            if not view.get_issue_executor().serializes_jobs:
                continue
            IssueJob(view=view_class, lookup_value="", initkwargs=initkwargs).to_payload()
        except ImproperlyConfigured as exc:
            messages.append(checks.Error(str(exc), obj=view_class, id="resetkit.E013"))
    return messages
