"""What an export contains, per model: django-import-export resources with translated headings,
ISO 8601 times in the site's time zone and exact amounts. Every field is a column (or a column of
a related row), so exports can stream from ``values_list`` without building model instances."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export import fields, resources, widgets

from ..models import Invoice, PaymentVisit, RejectedRequest, SuccessNotification


class IsoDateTimeWidget(widgets.Widget):
    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return timezone.localtime(value).isoformat() if value else ""

    def renderer(self) -> Any:
        """``render`` for many values at once: the time zone is looked up once."""
        zone = timezone.get_current_timezone()
        return lambda value: value.astimezone(zone).isoformat() if value else ""


class NativeWidget(widgets.Widget):
    """Keeps the value's own type (``Decimal``, ``int``, ``dict``, ``None``); each file format
    writes it exactly (see ``exporting``)."""

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> Any:
        return value


class ModeWidget(widgets.Widget):
    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return str(_("test") if value else _("live"))

    def renderer(self) -> Any:
        """``render`` for many values at once: each label is translated once."""
        test, live = str(_("test")), str(_("live"))
        return lambda value: test if value else live


class ChoiceLabelWidget(widgets.Widget):
    """A stored choice value shown as its translated label."""

    def __init__(self, choices: Any) -> None:
        super().__init__()
        self.labels = dict(choices)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str:
        return str(self.labels.get(value, value or ""))

    def renderer(self) -> Any:
        """``render`` for many values at once: each label is translated once."""
        labels = {key: str(label) for key, label in self.labels.items()}
        return lambda value: labels.get(value, value or "")


def column(attribute: str, heading: Any, widget: widgets.Widget | None = None) -> fields.Field:
    return fields.Field(attribute=attribute, column_name=heading, widget=widget or NativeWidget())


def _choices(model: Any, name: str) -> ChoiceLabelWidget:
    return ChoiceLabelWidget(model._meta.get_field(name).choices)


class InvoiceResource(resources.ModelResource):
    inv_id = column("id", _("InvId"))
    created_at = column("created_at", _("Created"), IsoDateTimeWidget())
    paid_at = column("paid_at", _("Paid"), IsoDateTimeWidget())
    status = column("status", _("Status"), _choices(Invoice, "status"))
    amount = column("amount", _("Amount"), NativeWidget())
    mode = column("is_test", _("Mode"), ModeWidget())
    site = column("site__hostname", _("Site"))
    description = column("description", _("Description"))
    email = column("email", _("E-mail"))
    reference = column("reference", _("Reference"))
    page = column("page_id", _("Page ID"))

    class Meta:
        model = Invoice
        fields = (
            "inv_id",
            "created_at",
            "paid_at",
            "status",
            "amount",
            "mode",
            "site",
            "description",
            "email",
            "reference",
            "page",
        )
        export_order = fields


class NotificationResource(resources.ModelResource):
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
    invoice = column("invoice_id", _("Payment"))

    class Meta:
        model = SuccessNotification
        fields = (
            "inv_id",
            "created_at",
            "out_sum",
            "fee",
            "mode",
            "merchant_login",
            "payment_method",
            "inc_curr_label",
            "email",
            "deliveries",
            "invoice",
        )
        export_order = fields


class VisitResource(resources.ModelResource):
    created_at = column("created_at", _("Visited"), IsoDateTimeWidget())
    kind = column("kind", _("Kind"), _choices(PaymentVisit, "kind"))
    inv_id = column("inv_id", _("InvId"))
    out_sum = column("out_sum", _("Amount"), NativeWidget())
    mode = column("is_test", _("Mode"), ModeWidget())
    signature_valid = column("signature_valid", _("Signature valid"))
    culture = column("culture", _("Language"))
    params = column("params", _("Received parameters"))

    class Meta:
        model = PaymentVisit
        fields = (
            "created_at",
            "kind",
            "inv_id",
            "out_sum",
            "mode",
            "signature_valid",
            "culture",
            "params",
        )
        export_order = fields


class RejectedRequestResource(resources.ModelResource):
    created_at = column("created_at", _("Received"), IsoDateTimeWidget())
    endpoint = column("endpoint", _("Endpoint"), _choices(RejectedRequest, "endpoint"))
    reason = column("reason", _("Reason"), _choices(RejectedRequest, "reason"))
    detail = column("detail", _("Detail"))
    inv_id = column("inv_id", _("InvId"))
    method = column("method", _("Method"))
    client_ip = column("client_ip", _("Client address"))
    params = column("params", _("Received parameters"))

    class Meta:
        model = RejectedRequest
        fields = (
            "created_at",
            "endpoint",
            "reason",
            "detail",
            "inv_id",
            "method",
            "client_ip",
            "params",
        )
        export_order = fields
