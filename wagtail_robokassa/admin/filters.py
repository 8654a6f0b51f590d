"""Listing filters: a date range with Wagtail's picker, and the columns staff narrow down by."""

from __future__ import annotations

from typing import TYPE_CHECKING

import django_filters
from django.utils.translation import gettext_lazy as _
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.models import Site

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from ..models import (
    Endpoint,
    Invoice,
    InvoiceStatus,
    PaymentVisit,
    RejectedRequest,
    RejectionReason,
    SuccessNotification,
    VisitKind,
)

MODES = [("live", _("Live")), ("test", _("Test"))]


def _date_range(label: StrOrPromise, field: str = "created_at") -> django_filters.Filter:
    return django_filters.DateFromToRangeFilter(
        field_name=field, label=label, widget=DateRangePickerWidget
    )


class ModeFilter(django_filters.ChoiceFilter):
    """Live or test, over the ``is_test`` column."""

    def __init__(self, **kwargs):
        super().__init__(choices=MODES, label=_("Mode"), method=self.by_mode, **kwargs)

    @staticmethod
    def by_mode(queryset, name, value):
        return queryset.filter(is_test=value == "test") if value else queryset


class InvoiceFilterSet(WagtailFilterSet):
    created = _date_range(_("Created"))
    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices, label=_("Status"))
    site = django_filters.ModelChoiceFilter(queryset=Site.objects.all(), label=_("Site"))
    mode = ModeFilter()

    class Meta:
        model = Invoice
        fields: list[str] = []


class NotificationFilterSet(WagtailFilterSet):
    created = _date_range(_("Received"))
    mode = ModeFilter()

    class Meta:
        model = SuccessNotification
        fields: list[str] = []


class VisitFilterSet(WagtailFilterSet):
    created = _date_range(_("Visited"))
    kind = django_filters.ChoiceFilter(choices=VisitKind.choices, label=_("Kind"))
    mode = ModeFilter()

    class Meta:
        model = PaymentVisit
        fields: list[str] = []


class RejectedRequestFilterSet(WagtailFilterSet):
    created = _date_range(_("Received"))
    reason = django_filters.ChoiceFilter(choices=RejectionReason.choices, label=_("Reason"))
    endpoint = django_filters.ChoiceFilter(choices=Endpoint.choices, label=_("Endpoint"))

    class Meta:
        model = RejectedRequest
        fields: list[str] = []
