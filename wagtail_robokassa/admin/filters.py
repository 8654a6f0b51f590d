"""Listing filters: a date range with Wagtail's picker, and the columns staff narrow down by."""

from __future__ import annotations

from typing import TYPE_CHECKING

import django_filters
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.filters import DateRangePickerWidget, WagtailFilterSet
from wagtail.models import Site

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

from ..models import (
    CheckOutcome,
    Endpoint,
    Invoice,
    InvoiceStatus,
    NotificationSource,
    PaymentLink,
    PaymentLinkState,
    PaymentLinkType,
    PaymentVisit,
    Refund,
    RefundState,
    RejectedRequest,
    RejectionReason,
    SecondReceiptState,
    SettlementKind,
    SettlementState,
    Subscription,
    SubscriptionState,
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


class SourceFilter(django_filters.ChoiceFilter):
    """Where a payment came from: a subscription, a payment link, a payment block, or the
    shop's own code."""

    def __init__(self, **kwargs):
        choices = [
            ("subscription", _("Subscription")),
            ("link", _("Payment link")),
            ("block", _("Payment block")),
            ("code", _("The shop's own code")),
        ]
        super().__init__(choices=choices, label=_("Source"), method=self.by_source, **kwargs)

    @staticmethod
    def by_source(queryset, name, value):
        from .stats import source_of

        return queryset.alias(source=source_of()).filter(source=value) if value else queryset


class InvoiceFilterSet(WagtailFilterSet):
    created = _date_range(_("Created"))
    source = SourceFilter()
    status = django_filters.ChoiceFilter(choices=InvoiceStatus.choices, label=_("Status"))
    site = django_filters.ModelChoiceFilter(queryset=Site.objects.all(), label=_("Site"))
    mode = ModeFilter()
    last_check = django_filters.ChoiceFilter(
        choices=[("none", _("Never checked")), *CheckOutcome.choices],
        label=_("Last status check"),
        method="by_last_check",
    )
    checked = _date_range(_("Last checked"), "last_checked_at")
    refunds = django_filters.ChoiceFilter(
        choices=[
            ("none", _("Not refunded")),
            ("partial", pgettext_lazy("payment", "Partially refunded")),
            ("full", pgettext_lazy("payment", "Refunded")),
        ],
        label=_("Refunds"),
        method="by_refunds",
    )
    final_receipt = django_filters.ChoiceFilter(
        choices=[("none", _("None")), *SecondReceiptState.choices],
        label=_("Final receipt"),
        method="by_final_receipt",
    )
    hold = django_filters.ChoiceFilter(
        choices=[
            ("held", _("On hold")),
            ("expiring", _("On hold, released within two days")),
            ("charged", _("Charged")),
            ("released", _("Released")),
            ("unknown", _("Outcome unknown")),
        ],
        label=_("Holds"),
        method="by_hold",
    )

    class Meta:
        model = Invoice
        fields: list[str] = []

    @staticmethod
    def by_last_check(queryset, name, value):
        return queryset.filter(last_check="" if value == "none" else value)

    @staticmethod
    def by_refunds(queryset, name, value):
        if value == "none":
            return queryset.filter(refunded=0)
        if value == "full":
            return queryset.filter(refunded__gt=0, refunded__gte=F("amount"))
        return queryset.filter(refunded__gt=0, refunded__lt=F("amount"))

    @staticmethod
    def by_hold(queryset, name, value):
        from datetime import timedelta

        from django.utils import timezone

        if value == "held":
            return queryset.filter(status=InvoiceStatus.HELD)
        if value == "expiring":
            soon = timezone.now() + timedelta(days=2)
            return queryset.filter(status=InvoiceStatus.HELD, hold_expires_at__lte=soon)
        if value == "unknown":
            return queryset.filter(hold_settlement__state=SettlementState.UNKNOWN)
        kind = SettlementKind.CHARGE if value == "charged" else SettlementKind.RELEASE
        settled = Q(hold_settlement__kind=kind, hold_settlement__state=SettlementState.DONE)
        if value == "released":
            settled |= Q(status=InvoiceStatus.EXPIRED, held_at__isnull=False)
        return queryset.filter(settled)

    @staticmethod
    def by_final_receipt(queryset, name, value):
        if value == "none":
            return queryset.filter(second_receipt__isnull=True)
        return queryset.filter(second_receipt__state=value)


class NotificationFilterSet(WagtailFilterSet):
    created = _date_range(_("Received"))
    mode = ModeFilter()
    source = django_filters.ChoiceFilter(choices=NotificationSource.choices, label=_("Source"))

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


def _diagnoses() -> list[tuple[str, str]]:
    """The diagnoses on record, each with its sentence (``services.diagnosis``)."""
    from ..services.diagnosis import explain

    keys = (
        RejectedRequest.objects.exclude(diagnosis="")
        .order_by("diagnosis")
        .values_list("diagnosis", flat=True)
        .distinct()[:100]
    )
    return [(key, explain(key)) for key in keys]


class RejectedRequestFilterSet(WagtailFilterSet):
    created = _date_range(_("Received"))
    reason = django_filters.ChoiceFilter(choices=RejectionReason.choices, label=_("Reason"))
    endpoint = django_filters.ChoiceFilter(choices=Endpoint.choices, label=_("Endpoint"))
    diagnosis = django_filters.ChoiceFilter(choices=_diagnoses, label=_("Diagnosis"))

    class Meta:
        model = RejectedRequest
        fields: list[str] = []


class RefundFilterSet(WagtailFilterSet):
    created = _date_range(_("Requested"))
    state = django_filters.ChoiceFilter(choices=RefundState.choices, label=_("State"))
    settled = _date_range(_("Settled"), "settled_at")

    class Meta:
        model = Refund
        fields: list[str] = []


class PaymentLinkFilterSet(WagtailFilterSet):
    created = _date_range(_("Created"))
    state = django_filters.ChoiceFilter(choices=PaymentLinkState.choices, label=_("State"))
    invoice_type = django_filters.ChoiceFilter(choices=PaymentLinkType.choices, label=_("Type"))
    mode = ModeFilter()
    site = django_filters.ModelChoiceFilter(queryset=Site.objects.all(), label=_("Site"))

    class Meta:
        model = PaymentLink
        fields: list[str] = []


class SubscriptionFilterSet(WagtailFilterSet):
    created = _date_range(_("Created"))
    state = django_filters.ChoiceFilter(choices=SubscriptionState.choices, label=_("State"))
    next_charge = _date_range(_("Next charge"), "next_charge_at")
    mode = ModeFilter()
    site = django_filters.ModelChoiceFilter(queryset=Site.objects.all(), label=_("Site"))

    class Meta:
        model = Subscription
        fields: list[str] = []
