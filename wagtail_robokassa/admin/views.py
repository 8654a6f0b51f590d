"""Admin views over the payment records: listings with InvId search and export, inspect views
that link a payment to its notification, visits and page, and the overview."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Exists, Model, OuterRef, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.defaults import permission_denied
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.paginator import WagtailPaginator
from wagtail.admin.views.generic import IndexView, InspectView
from wagtail.admin.views.reports import ReportView
from wagtail.admin.widgets import Button
from wagtail.admin.widgets.datetime import AdminDateInput

from ..models import (
    Invoice,
    InvoiceStatus,
    PaymentLink,
    PaymentVisit,
    RejectedRequest,
    SecondReceiptState,
    Subscription,
    SuccessNotification,
    VisitKind,
)
from ..page_blocks import find_payment_block
from ..protocol import MAX_INV_ID
from ..protocol.amounts import plain_amount
from ..services.diagnosis import explain
from ..services.final_receipts import prepaid_lines
from ..services.subscriptions import monthly_recurring_revenue
from . import display, stats
from .charts import takings_chart
from .dashboard import can_view_takings, shows_test_takings
from .exporting import FORMATS, export_response
from .filters import MODES
from .final_receipt import can_send_final_receipt, final_receipt_of
from .refunding import can_refund
from .site_scope import scoped
from .status_check import can_check

_DIGITS = re.compile(r"[0-9]{1,10}\Z")
NAMESPACES = {
    Invoice: "robokassa_payments",
    SuccessNotification: "robokassa_notifications",
    PaymentVisit: "robokassa_visits",
}


def source_labels() -> dict[str, Any]:
    return {
        "subscription": _("Subscriptions"),
        "link": _("Payment links"),
        "block": _("Payment blocks"),
        "code": _("The shop's own code"),
    }


def inspect_url(instance: Any) -> str | None:
    namespace = NAMESPACES.get(type(instance))
    return reverse(f"{namespace}:inspect", args=[instance.pk]) if namespace else None


class Forbidden:
    """Answer a refused permission with 403, not Wagtail's redirect to the dashboard."""

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]  # a mixin
        except PermissionDenied as error:
            return permission_denied(request, error)


def refuse(request: Any, *args: Any, **kwargs: Any) -> Any:
    """Adding, editing and deleting payment records is refused to everyone."""
    return permission_denied(request, PermissionDenied("payment records are read-only"))


def _count_labels() -> dict[type[Model], Any]:
    return {
        Invoice: lambda n: ngettext("%(count)s payment", "%(count)s payments", n),
        SuccessNotification: lambda n: ngettext(
            "%(count)s notification", "%(count)s notifications", n
        ),
        PaymentVisit: lambda n: ngettext("%(count)s visit", "%(count)s visits", n),
        RejectedRequest: lambda n: ngettext(
            "%(count)s rejected request", "%(count)s rejected requests", n
        ),
        PaymentLink: lambda n: ngettext("%(count)s payment link", "%(count)s payment links", n),
        Subscription: lambda n: ngettext("%(count)s subscription", "%(count)s subscriptions", n),
    }


class RecordPaginator(WagtailPaginator):
    """Counts records with the language's plural forms ("21 платёж", "22 платежа")."""

    @cached_property
    def items_count_label(self) -> str:
        label = _count_labels().get(self.model)
        if label is None:
            return super().items_count_label
        return label(self.count) % {"count": intcomma(self.count)}


class RecordIndexView(Forbidden, IndexView):
    """A read-only listing. Digits search the InvId exactly (indexed); other text searches the
    text columns."""

    paginator_class = RecordPaginator

    #: The field that holds the InvId; a query of digits searches it exactly (indexed).
    inv_id_field = "inv_id"
    #: Text fields searched (``icontains``) for any other query.
    text_search_fields: tuple[str, ...] = ()
    #: The URL name of the export view; None hides the export buttons.
    export_url_name: str | None = None

    def get_base_queryset(self) -> QuerySet:
        return scoped(super().get_base_queryset(), self.request.user)

    def search_queryset(self, queryset: QuerySet) -> QuerySet:
        if not self.is_searching:
            return queryset
        query = self.search_query.strip()
        if _DIGITS.match(query):
            number = int(query)
            if number > MAX_INV_ID:
                return queryset.none()
            return queryset.filter(**{self.inv_id_field: number})
        condition = Q()
        for field in self.text_search_fields:
            condition |= Q(**{f"{field}__icontains": query})
        return queryset.filter(condition) if self.text_search_fields else queryset.none()

    @cached_property
    def can_export(self) -> bool:
        return bool(self.export_url_name) and self.permission_policy.user_has_permission(
            self.request.user, "export"
        )

    @cached_property
    def header_more_buttons(self) -> list:
        buttons = list(super().header_more_buttons)
        if self.can_export:
            query = self.request.GET.copy()
            query.pop("p", None)
            for file_format in FORMATS:
                url = reverse(self.export_url_name, args=[file_format])
                buttons.append(
                    Button(
                        _("Export %(format)s") % {"format": file_format.upper()},
                        url=f"{url}?{query.urlencode()}" if query else url,
                        icon_name="download",
                        priority=50,
                    )
                )
        return buttons


def fail_visits(inv_id: Any) -> QuerySet:
    """The Fail URL visits for an InvId: the buyer came back without paying (unsigned, so they
    annotate a payment and never change its state)."""
    return PaymentVisit.objects.filter(inv_id=inv_id, kind=VisitKind.FAIL)


class PaymentIndexView(RecordIndexView):
    """Payments, each marked when its buyer came back through the Fail URL."""

    def get_base_queryset(self) -> QuerySet:
        return (
            super()
            .get_base_queryset()
            .annotate(buyer_returned_via_fail=Exists(fail_visits(OuterRef("pk"))))
        )


class ExportView(RecordIndexView):
    """The listing's queryset (filters, search and ordering applied), as a file."""

    permission_required = "export"
    resource_class: Any = None

    def get(self, request: Any, *args: Any, file_format: str = "csv", **kwargs: Any):
        if file_format not in FORMATS:
            raise Http404
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        with translation.override("en"):  # the file's name is the same in every language
            name = slugify(str(self.model._meta.verbose_name_plural))
        return export_response(
            self.resource_class(),
            self.get_queryset(),
            file_format,
            filename=f"robokassa-{name}-{stamp}",
            title=str(self.model._meta.verbose_name_plural),
        )


def _receipt_items(lines: list[Any]) -> list[dict[str, Any]]:
    """Refund API ``InvoiceItems`` as receipt items (``display.receipt`` shows those)."""
    items = []
    for line in lines:
        if not isinstance(line, dict):
            continue
        quantity, cost = line.get("Quantity", 1), line.get("Cost", 0)
        try:
            total = Decimal(str(quantity)) * Decimal(str(cost))
        except ArithmeticError:
            total = None
        items.append(
            {
                "name": line.get("Name", ""),
                "quantity": quantity,
                "sum": total,
                "tax": line.get("Tax", ""),
                "payment_method": line.get("PaymentMethod", ""),
                "payment_object": line.get("PaymentObject", ""),
            }
        )
    return items


#: Shown on a payment's page only when it is a hold.
HOLD_FIELDS = ("hold", "held_at", "hold_expires_at", "held_amount", "hold_warned_at")


class RecordInspectView(Forbidden, InspectView):
    """Every stored field, raw parameters pretty-printed, and links to related records."""

    #: Wagtail's inspect page with a "Related" list below the fields.
    template_name = "wagtail_robokassa/admin/inspect.html"

    @cached_property
    def currency(self) -> str:
        return display.currency_of(self.request)

    def get_object(self, queryset: QuerySet | None = None) -> Any:
        found = super().get_object(queryset)
        if not scoped(type(found)._default_manager.filter(pk=found.pk), self.request.user):
            raise Http404  # another Site's: as if it did not exist
        return found

    def get_field_display_value(self, field_name: str, field: Any) -> Any:
        value = getattr(self.object, field_name, None)
        if isinstance(field, models.DateTimeField):
            return display.moment(value)
        if isinstance(field, models.BooleanField):
            return display.yes_no(value)
        if isinstance(field, models.DecimalField):
            return display.amount(value, self.currency)
        if isinstance(field, models.JSONField):
            if field_name == "receipt":
                return display.receipt(value, self.currency)
            if isinstance(value, list):  # a refund's receipt lines
                return display.receipt({"items": _receipt_items(value)}, self.currency)
            return display.parameters(value)
        shown = super().get_field_display_value(field_name, field)
        return display.EMPTY if shown is None or shown == "" else shown

    def get_status_display_value(self) -> Any:
        invoice = self.object
        status = invoice.get_status_display()
        if invoice.is_paid:
            return status
        visit = fail_visits(invoice.pk).order_by("created_at").first()
        if visit is None:
            return status
        note = _(
            "The buyer came back through the Fail URL on %(moment)s. That page is not signed: "
            "it does not change the payment's status."
        ) % {"moment": display.moment(visit.created_at)}
        return format_html("{}<br>{}", status, note)

    def get_payment_link_display_value(self) -> Any:
        link = self.object.payment_link
        if link is None:
            return display.EMPTY
        if not self._may_view(PaymentLink):
            return str(link)
        url = reverse("robokassa_links:inspect", args=[link.pk])
        return format_html('<a href="{}">{}</a>', url, link)

    def get_subscription_display_value(self) -> Any:
        subscription = self.object.subscription
        if subscription is None:
            return display.EMPTY
        if not self._may_view(Subscription):
            return str(subscription)
        url = reverse("robokassa_subscriptions:inspect", args=[subscription.pk])
        return format_html('<a href="{}">{}</a>', url, subscription)

    def get_diagnosis_display_value(self) -> Any:
        return explain(self.object.diagnosis) or display.EMPTY

    def get_page_display_value(self) -> Any:
        page = self.object.page
        if page is None:
            return display.EMPTY
        url = reverse("wagtailadmin_pages:edit", args=[page.pk])
        return format_html('<a href="{}">{}</a>', url, page.get_admin_display_title())

    def get_block_id_display_value(self) -> Any:
        invoice = self.object
        if not invoice.block_id:
            return display.EMPTY
        page = invoice.page.specific if invoice.page else None
        block = find_payment_block(page, invoice.block_id) if page is not None else None
        if page is None or block is None:
            return _("A block no longer on its page")
        label = block.get("description") or block.get("button_label") or _("Payment button")
        url = reverse("wagtailadmin_pages:edit", args=[page.pk])
        return format_html('<a href="{}">{}</a>', url, label)

    def related_links(self) -> list[tuple[str, str, str | None]]:
        """``(label, text, url)`` for the related payment, notifications, visits and page that
        this user may view: a link's text shows an amount and a status."""
        obj = self.object
        inv_id = obj.pk if isinstance(obj, Invoice) else getattr(obj, "inv_id", None)
        if inv_id is None:
            return []
        may_view = self._may_view
        invoice = obj if isinstance(obj, Invoice) else None
        if invoice is None and may_view(Invoice):
            invoice = Invoice.objects.filter(pk=inv_id).first()
        related: list[tuple[Any, Any]] = [(_("Payment"), invoice)] if invoice else []
        if may_view(SuccessNotification):
            related += [
                (_("Notification"), n) for n in SuccessNotification.objects.filter(inv_id=inv_id)
            ]
        if may_view(PaymentVisit):
            related += [(_("Visit"), v) for v in PaymentVisit.objects.filter(inv_id=inv_id)]
        links = [
            (str(label), str(item), inspect_url(item)) for label, item in related if item != obj
        ]
        if invoice is not None and invoice.page_id:
            page_url = reverse("wagtailadmin_pages:edit", args=[invoice.page_id])
            links.append((str(_("Page")), str(invoice.page), page_url))
        return links

    def _may_view(self, model: type[Model]) -> bool:
        meta = model._meta
        return self.request.user.has_perm(f"{meta.app_label}.view_{meta.model_name}")

    def _hold_context(self, user: Any) -> dict[str, Any]:
        """The hold's state, and its buttons while it may be charged or released."""
        from ..conf import setting
        from ..models import HoldSettlement
        from .holds import can_settle_holds, hold_facts, why_not_settled

        invoice = self.object
        if not (invoice.hold or invoice.held_at):
            return {}
        may_settle = can_settle_holds(user)
        action = setting("ROBOKASSA_HOLD_EXPIRY_ACTION")
        context: dict[str, Any] = {
            "hold": {
                **hold_facts(invoice),
                "expiry_action": _("charged") if action == "charge" else _("released"),
            },
            "hold_settlement": HoldSettlement.objects.filter(invoice=invoice)
            .select_related("requested_by")
            .first(),
            "may_settle_holds": may_settle,
        }
        if may_settle and not why_not_settled(invoice):
            context["charge_hold_url"] = reverse(
                "robokassa_payments:charge_hold", args=[invoice.pk]
            )
            context["release_hold_url"] = reverse(
                "robokassa_payments:release_hold", args=[invoice.pk]
            )
        return context

    def get_fields_context(self) -> list[Any]:
        """A payment that is no hold does not list the hold's empty fields."""
        invoice = self.object
        if isinstance(invoice, Invoice) and not (invoice.hold or invoice.held_at):
            fields: list[str] = getattr(self, "fields", [])
            self.fields = [name for name in fields if name not in HOLD_FIELDS]
        return super().get_fields_context()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["related_links"] = self.related_links()
        if isinstance(self.object, Invoice):
            user = self.request.user
            if can_check(user):
                context["status_check_url"] = reverse(
                    "robokassa_payments:check_status", args=[self.object.pk]
                )
            context.update(self._hold_context(user))
            if can_refund(user) and self.object.is_paid:
                context["refund_url"] = reverse("robokassa_payments:refund", args=[self.object.pk])
            final_receipt = final_receipt_of(self.object)
            may_send = can_send_final_receipt(user)
            context.update(
                invoice=self.object,
                refunds=self.object.refunds.select_related("requested_by"),
                final_receipt=final_receipt,
                may_check_refunds=can_refund(user),
                may_send_final_receipt=may_send,
            )
            # The button where a final receipt is due; its page says why when it cannot be sent.
            unsent = final_receipt is None or final_receipt.state == SecondReceiptState.FAILED
            if may_send and unsent and self.object.is_paid and prepaid_lines(self.object):
                context["final_receipt_url"] = reverse(
                    "robokassa_payments:final_receipt", args=[self.object.pk]
                )
        return context


EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(9000, 12, 31)
#: The period shown when none is chosen, and the longest one shown.
DEFAULT_DAYS, LONGEST_DAYS = 30, 366


def _day_in_range(value: date | None) -> None:
    if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
        raise forms.ValidationError(
            _("Choose a day from %(first)s to %(last)s.")
            % {"first": EARLIEST_DAY.isoformat(), "last": LATEST_DAY.isoformat()}
        )


def _as_is(queryset: QuerySet, name: str, value: Any) -> QuerySet:
    """The period and the mode choose the days and the figures (``OverviewView``), not rows."""
    return queryset


class OverviewFilterSet(WagtailFilterSet):
    """The Overview's filters, in Wagtail's filter panel with its date widgets."""

    start = django_filters.DateFilter(
        label=_("From"), widget=AdminDateInput, method=_as_is, validators=[_day_in_range]
    )
    end = django_filters.DateFilter(
        label=_("To"), widget=AdminDateInput, method=_as_is, validators=[_day_in_range]
    )
    mode = django_filters.ChoiceFilter(
        label=_("Mode"), choices=MODES, method=_as_is, empty_label=_("The shop's current mode")
    )

    class Meta:
        model = SuccessNotification
        fields: list[str] = []


def period(cleaned: dict[str, Any]) -> tuple[date, date]:
    """The chosen days (the last 30 by default), in order, at most a year and a day long."""
    last = cleaned.get("end") or stats.today()
    first = cleaned.get("start") or last - timedelta(DEFAULT_DAYS - 1)
    if first > last:
        first, last = last, first
    return max(first, last - timedelta(LONGEST_DAYS - 1)), last


class OverviewView(Forbidden, ReportView):
    """A Wagtail report: takings by day for a period (chart and table, exportable) and payments
    by status. The mode defaults to the shop's current one."""

    page_title = _("Overview")
    header_icon = "key"
    results_template_name = "wagtail_robokassa/admin/overview_results.html"
    index_url_name = "robokassa_overview:index"
    index_results_url_name = "robokassa_overview:index_results"
    filterset_class = OverviewFilterSet
    paginate_by = None
    list_export = ["day", "count", "total", "refunded"]
    export_headings = {
        "day": _("Day"),
        "count": _("Notifications"),
        "total": _("Amount"),
        "refunded": _("Refunded"),
    }

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not can_view_takings(request.user):
            return permission_denied(request, PermissionDenied("no view permission"))
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet:
        return SuccessNotification.objects.none()  # the filters' model; figures come from stats

    @cached_property
    def choice(self) -> tuple[date, date, bool]:
        filters = self.filters
        cleaned = filters.form.cleaned_data if filters is not None and filters.is_valid() else {}
        first, last = period(cleaned)
        # With a day out of range the form is invalid: the mode asked for still applies.
        mode = cleaned.get("mode") or (filters.data.get("mode") if filters is not None else "")
        if mode not in ("live", "test"):  # the shop's current mode: in test mode, its tests
            return first, last, shows_test_takings(self.request)
        return first, last, mode == "test"

    def get_filtered_queryset(self) -> list[stats.Day]:
        first, last, test = self.choice
        return stats.daily_takings(first, last, test)

    def get_filename(self) -> str:
        first, last, test = self.choice
        mode = "test" if test else "live"
        return f"robokassa-overview-{mode}-{first:%Y%m%d}-{last:%Y%m%d}"

    def to_row_dict(self, item: stats.Day) -> dict[str, Any]:
        # 150.50, not the 150.5 a database sum may give: exact, and read as money.
        return {
            "day": item.day,
            "count": item.count,
            "total": Decimal(plain_amount(item.total)),
            "refunded": Decimal(plain_amount(item.refunded)),
        }

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        first, last, test = self.choice
        days = list(self.object_list)
        statuses = dict(InvoiceStatus.choices)
        context.update(
            days=days,
            test=test,
            chart=takings_chart(
                days, "robokassa-overview-chart", display.currency_of(self.request)
            ),
            total=sum((day.total for day in days), stats.ZERO),
            refunded=sum((day.refunded for day in days), stats.ZERO),
            refunds_shown=any(day.refunded for day in days),
            count=sum(day.count for day in days),
            by_status=[
                {**row, "label": statuses.get(row["status"], row["status"])}
                for row in stats.invoice_totals_by_status(first, last, test)
            ],
            by_source=[
                {**row, "label": source_labels().get(row["source"], row["source"])}
                for row in stats.invoice_totals_by_source(first, last, test)
            ],
            recurring=monthly_recurring_revenue(test=test),
            held=stats.held_now(test),
        )
        return context
