"""The staff API's filters, as a django-filter ``FilterSet``.

Every filter validates its input, so a malformed value answers 400 with the reason rather than
an empty or unfiltered list.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from resetkit.models import ResetPasswordToken
from resetkit.staff.tokens import STATE_CHOICES, filter_by_state


class IPAddressFilter(django_filters.Filter):
    """An exact IPv4/IPv6 match; the input is normalised as stored (``2001:DB8::7`` finds
    ``2001:db8::7``)."""

    field_class = forms.GenericIPAddressField


class ResetTokenFilterSet(django_filters.FilterSet):
    user = django_filters.ModelChoiceFilter(
        label=_("user"),
        queryset=lambda request: get_user_model()._default_manager.all(),
    )
    email = django_filters.CharFilter(label=_("user e-mail"), method="filter_email")
    ip_address = IPAddressFilter(label=_("IP address"))
    created_after = django_filters.IsoDateTimeFilter(
        label=_("created at or after"), field_name="created_at", lookup_expr="gte"
    )
    created_before = django_filters.IsoDateTimeFilter(
        label=_("created at or before"), field_name="created_at", lookup_expr="lte"
    )
    state = django_filters.ChoiceFilter(
        label=_("state"), choices=STATE_CHOICES, method="filter_state"
    )

    class Meta:
        model = ResetPasswordToken
        fields = ("user", "email", "ip_address", "created_after", "created_before", "state")

    def filter_email(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        """Match the user's e-mail case-insensitively, in whichever field the model keeps it."""
        field = get_user_model().get_email_field_name()
        return queryset.filter(**{f"user__{field}__iexact": value})

    def filter_state(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return filter_by_state(queryset, value)
