"""What an export contains, per model: django-import-export resources with translated headings,
ISO 8601 times in the site's time zone (real dates in XLSX), exact amounts, and stable codes
(``paid``, ``test``, ``bad_signature``) so that an export does not change with the language of
whoever downloads it; CSV and XLSX add each code's label in a column of its own (``LabelField``),
JSON does not.

Each column is declared once, as a field of the resource; the order of declaration is the order of
the columns. Columns read one attribute (or one of a related row) and their widgets render from the
value alone, so exports can stream from ``values_list`` without building model instances; a
subclass that adds a ``dehydrate_<field>`` method or a column without an attribute is exported
through the library's own ``export_resource`` instead (see ``exporting``).
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets
from import_export.resources import ModelDeclarativeMetaclass

from ..models import (
    Invoice,
    PaymentLink,
    PaymentVisit,
    Refund,
    RejectedRequest,
    Subscription,
    SuccessNotification,
)


class IsoDateTimeWidget(widgets.Widget):
    """An aware time as ISO 8601 in the current time zone; with ``native_dates=True`` (XLSX,
    whose dates have no time zone), the local date and time itself."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        if not value:
            return None if kwargs.get("native_dates") else ""
        local = value.astimezone(timezone.get_current_timezone())
        return local.replace(tzinfo=None) if kwargs.get("native_dates") else local.isoformat()


class NativeWidget(widgets.Widget):
    """Keeps the value's own type (``Decimal``, ``int``, ``dict``, ``None``); each file format
    writes it exactly (see ``exporting``)."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return value


class ChoiceLabelWidget(widgets.Widget):
    """A stored value shown as its translated label (translated once per language)."""

    def __init__(self, choices: Any) -> None:
        super().__init__()
        self.labels = dict(choices)
        self._translated: dict[str | None, dict[Any, str]] = {}

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        language = translation.get_language()
        labels = self._translated.get(language)
        if labels is None:
            labels = {key: str(label) for key, label in self.labels.items()}
            self._translated[language] = labels
        return labels.get(value, value or "")


class ModeWidget(widgets.Widget):
    """The test flag as the code "test" or "live"."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return "test" if value else "live"


class LabelField(fields.Field):
    """A column of words for people (a code's translated label): in CSV and XLSX, not in JSON."""


def column(attribute: str, heading: Any, widget: widgets.Widget | None = None) -> fields.Field:
    """One export column: the attribute it reads, its heading, and how its values are written."""
    return fields.Field(attribute=attribute, column_name=heading, widget=widget or NativeWidget())


def label(model: Any, attribute: str, heading: Any) -> LabelField:
    """The translated label of choice field ``attribute``'s code, as a column of its own."""
    widget = ChoiceLabelWidget(model._meta.get_field(attribute).choices)
    return LabelField(attribute=attribute, column_name=heading, widget=widget)


class RecordResourceMetaclass(ModelDeclarativeMetaclass):
    """Unless ``Meta.fields`` says otherwise, a resource's columns are its declared fields, in
    the order declared (no model field is added on its own)."""

    def __new__(mcs, name: str, bases: tuple[type, ...], attrs: dict[str, Any]) -> Any:
        declared = [key for key, value in attrs.items() if isinstance(value, fields.Field)]
        meta = attrs.get("Meta")
        if meta is not None and declared and not hasattr(meta, "fields"):
            inherited = [
                key
                for base in bases
                for key in getattr(getattr(base, "_meta", None), "fields", None) or ()
                if key not in declared
            ]
            meta.fields = (*inherited, *declared)
        return super().__new__(mcs, name, bases, attrs)


class RecordResource(resources.ModelResource, metaclass=RecordResourceMetaclass):
    """The base of the record exports (subclass it to add or change columns)."""


class InvoiceResource(RecordResource):
    inv_id = column("id", _("InvId"))
    created_at = column("created_at", _("Created"), IsoDateTimeWidget())
    paid_at = column("paid_at", _("Paid"), IsoDateTimeWidget())
    status = column("status", _("Status"))
    status_label = label(Invoice, "status", _("Status, in words"))
    amount = column("amount", _("Amount"), NativeWidget())
    mode = column("is_test", _("Mode"), ModeWidget())
    site = column("site__hostname", _("Site"))
    description = column("description", _("Description"))
    email = column("email", _("E-mail"))
    reference = column("reference", _("Reference"))
    page = column("page_id", _("Page ID"))
    last_check = column("last_check", _("Last status check"))
    last_check_label = label(Invoice, "last_check", _("Last status check, in words"))
    last_checked_at = column("last_checked_at", _("Last checked"), IsoDateTimeWidget())
    refunded = column("refunded", _("Refunded"), NativeWidget())
    hold = column("hold", _("Hold requested"))
    held_at = column("held_at", _("Held"), IsoDateTimeWidget())
    hold_expires_at = column("hold_expires_at", _("Hold expires"), IsoDateTimeWidget())
    held_amount = column("held_amount", _("Amount held"), NativeWidget())

    class Meta:
        model = Invoice


class NotificationResource(RecordResource):
    inv_id = column("inv_id", _("InvId"))
    created_at = column("created_at", _("Received"), IsoDateTimeWidget())
    out_sum = column("out_sum", _("Amount"), NativeWidget())
    fee = column("fee", _("Fee"), NativeWidget())
    mode = column("is_test", _("Mode"), ModeWidget())
    merchant_login = column("merchant_login", _("Merchant login"))
    payment_method = column("payment_method", _("Payment method"))
    inc_curr_label = column("inc_curr_label", _("Currency label"))
    email = column("email", _("E-mail"))
    deliveries = column("deliveries", _("Deliveries"))
    source = column("source", _("Source"))
    source_label = label(SuccessNotification, "source", _("Source, in words"))
    invoice = column("invoice_id", _("Payment"))

    class Meta:
        model = SuccessNotification


class VisitResource(RecordResource):
    created_at = column("created_at", _("Visited"), IsoDateTimeWidget())
    kind = column("kind", _("Kind"))
    kind_label = label(PaymentVisit, "kind", _("Kind, in words"))
    inv_id = column("inv_id", _("InvId"))
    out_sum = column("out_sum", _("Amount"), NativeWidget())
    mode = column("is_test", _("Mode"), ModeWidget())
    signature_valid = column("signature_valid", _("Signature valid"))
    culture = column("culture", _("Language"))
    params = column("params", _("Received parameters"))

    class Meta:
        model = PaymentVisit


class RejectedRequestResource(RecordResource):
    created_at = column("created_at", _("Received"), IsoDateTimeWidget())
    endpoint = column("endpoint", _("Endpoint"))
    reason = column("reason", _("Reason"))
    reason_label = label(RejectedRequest, "reason", _("Reason, in words"))
    detail = column("detail", _("Detail"))
    inv_id = column("inv_id", _("InvId"))
    method = column("method", _("Method"))
    client_ip = column("client_ip", _("Client address"))
    params = column("params", _("Received parameters"))

    class Meta:
        model = RejectedRequest


class RefundResource(RecordResource):
    inv_id = column("invoice_id", _("InvId"))
    created_at = column("created_at", _("Requested"), IsoDateTimeWidget())
    amount = column("amount", _("Amount"), NativeWidget())
    state = column("state", _("State"))
    state_label = label(Refund, "state", _("State, in words"))
    whole_remainder = column("whole_remainder", _("Whole remainder"))
    reason = column("reason", _("Reason"))
    request_id = column("request_id", _("ROBOKASSA request id"))
    requested_by = column("requested_by__username", _("Requested by"))
    settled_at = column("settled_at", _("Settled"), IsoDateTimeWidget())
    message = column("message", _("Message"))

    class Meta:
        model = Refund


class PaymentLinkResource(RecordResource):
    inv_id = column("inv_id", _("InvId"))
    created_at = column("created_at", _("Created"), IsoDateTimeWidget())
    description = column("description", _("Description"))
    amount = column("amount", _("Amount"), NativeWidget())
    invoice_type = column("invoice_type", _("Type"))
    state = column("state", _("State"))
    state_label = label(PaymentLink, "state", _("State, in words"))
    mode = column("is_test", _("Mode"), ModeWidget())
    customer_name = column("customer_name", _("Customer"))
    customer_email = column("customer_email", _("Customer's e-mail"))
    customer_phone = column("customer_phone", _("Customer's phone"))
    expires_at = column("expires_at", _("Expires"), IsoDateTimeWidget())
    url = column("url", _("Link"))
    paid_at = column("paid_at", _("Last paid"), IsoDateTimeWidget())
    created_by = column("created_by__username", _("Created by"))
    message = column("message", _("Message"))

    class Meta:
        model = PaymentLink


class SubscriptionResource(RecordResource):
    parent_inv_id = column("parent_invoice_id", _("First payment's InvId"))
    created_at = column("created_at", _("Created"), IsoDateTimeWidget())
    description = column("description", _("Description"))
    amount = column("amount", _("Price a period"), NativeWidget())
    first_amount = column("first_amount", _("First payment"), NativeWidget())
    period = column("period", _("Period"))
    period_days = column("period_days", _("Days a period"))
    state = column("state", _("State"))
    state_label = label(Subscription, "state", _("State, in words"))
    mode = column("is_test", _("Mode"), ModeWidget())
    email = column("email", _("Buyer's e-mail"))
    payments_made = column("payments_made", _("Payments made"))
    started_at = column("started_at", _("Started"), IsoDateTimeWidget())
    paid_until = column("paid_until", _("Paid until"), IsoDateTimeWidget())
    next_charge_at = column("next_charge_at", _("Next charge"), IsoDateTimeWidget())
    cancelled_at = column("cancelled_at", _("Cancelled"), IsoDateTimeWidget())
    cancel_reason = column("cancel_reason", _("Cancelled"))
    reference = column("reference", _("Reference"))

    class Meta:
        model = Subscription
