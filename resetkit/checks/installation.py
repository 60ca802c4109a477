"""The check that must run when resetkit's own checks cannot: its views routed while
``resetkit`` is missing from ``INSTALLED_APPS``.

resetkit's ``AppConfig.ready()`` registers every other check, and it never runs for an app that
is not installed. So this one travels with the URLs: ``resetkit.urls`` builds its patterns as
:class:`AppInstalledCheckPattern`, whose ``check()`` Django calls in its URL checks
(``manage.py check``, ``runserver``), in the same run. Views routed another way (a router,
``as_view()`` in the project's own URLconf) are covered at request time: every resetkit view
answers 500 with the same message (see ``resetkit.generics.ResetAPIView.initial``).
"""

from __future__ import annotations

from django.apps import apps
from django.core import checks
from django.urls import URLPattern

NOT_INSTALLED = (
    "resetkit's views are routed, but 'resetkit' is not in INSTALLED_APPS: its token table "
    "is never created, its system checks do not run, and its endpoints fail."
)
NOT_INSTALLED_HINT = (
    "Add 'rest_framework' and 'resetkit' to INSTALLED_APPS, then run: python manage.py migrate"
)


def check_app_installed() -> list[checks.CheckMessage]:
    """E014 when ``resetkit`` is not an installed app."""
    if apps.is_installed("resetkit"):
        return []
    return [checks.Error(NOT_INSTALLED, hint=NOT_INSTALLED_HINT, id="resetkit.E014")]


class AppInstalledCheckPattern(URLPattern):
    """A URL pattern whose system check also reports E014."""

    @classmethod
    def from_pattern(cls, pattern: URLPattern) -> AppInstalledCheckPattern:
        return cls(pattern.pattern, pattern.callback, pattern.default_args, pattern.name)

    def check(self) -> list[checks.CheckMessage]:
        return [*super().check(), *check_app_installed()]
