"""How the admin shows stored values: every time in the active time zone in one format, money as
money in the shop's currency, flags as yes/no, parameters and receipts as readable lists, and an
em dash for nothing. Exports keep the exact values; this is for people."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format, localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .. import formatting
from ..receipt_choices import label_of
from ..services.config import config_for_request

EMPTY = formatting.EMPTY
amount = formatting.amount
#: The one format of a moment, everywhere in the plugin's admin.
MOMENT_FORMAT = "SHORT_DATETIME_FORMAT"


def moment(value: datetime | None) -> str:
    """``value`` in the active time zone (the user's, in Wagtail's admin)."""
    if value is None:
        return EMPTY
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, MOMENT_FORMAT)


def day(value: datetime | None) -> str:
    """The local day of a moment, short (a deadline in a listing's tag)."""
    if value is None:
        return EMPTY
    return date_format(timezone.localtime(value), "SHORT_DATE_FORMAT")


def quantity(value: Any) -> str:
    """A receipt quantity without trailing zeros, in the active language's format."""
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return EMPTY
    if not number.is_finite():
        return EMPTY
    return localize(number.quantize(1) if number == number.to_integral() else number.normalize())


def currency_of(request: Any) -> str:
    """The currency of the shop the admin is looked at for (₽, or ₸ for ROBOKASSA Kazakhstan)."""
    return config_for_request(request).currency_symbol if request is not None else ""


def currency_of_invoice(invoice: Any) -> str:
    """The currency sign of the shop that issued ``invoice``."""
    from ..services.reconciliation import invoice_config

    return invoice_config(invoice).currency_symbol


def yes_no(value: bool | None) -> str:
    if value is None:
        return EMPTY
    return _("Yes") if value else _("No")


def parameters(values: dict[str, Any] | None) -> SafeString | str:
    """Received or user parameters as a definition list, or "none"."""
    if not values:
        return _("none")
    rows = format_html_join("", "<dt>{}</dt><dd>{}</dd>", sorted(values.items()))
    return format_html('<dl class="robokassa-values">{}</dl>', rows)


def receipt(value: dict[str, Any] | None, currency: str = "") -> SafeString | str:
    """A stored receipt as its tax system and a table of its lines."""
    if not value:
        return EMPTY
    items = value.get("items") or []
    head = format_html_join(
        "",
        '<th scope="col">{}</th>',
        [(pgettext("receipt", "Item"),), (pgettext("receipt", "Quantity"),),
         (pgettext("receipt", "Sum"),), (pgettext("receipt", "VAT rate"),),
         (pgettext("receipt", "Payment method"),), (pgettext("receipt", "Payment object"),)],
    )  # fmt: skip
    lines = format_html_join(
        "",
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        [
            (
                item.get("name") or EMPTY,
                item.get("quantity") or "1",
                amount(item.get("sum"), currency),
                label_of("tax", item.get("tax")),
                label_of("payment_method", item.get("payment_method")),
                label_of("payment_object", item.get("payment_object")),
            )
            for item in items
            if isinstance(item, dict)
        ],
    )
    system = label_of("sno", value.get("sno"))
    return format_html(
        '<p>{}: {}</p><div class="robokassa-receipt-lines">'
        '<table class="listing robokassa-receipt"><thead><tr>{}</tr></thead>'
        "<tbody>{}</tbody></table></div>",
        pgettext("receipt", "Tax system"),
        system,
        head,
        lines,
    )
