"""What a refund's receipt says: the payment's receipt lines, what earlier refunds returned of
them, and the check that the lines sent add up to the amount refunded (54-FZ wants the refund
receipt to match the money).

A line is known by its name and unit cost, as the Refund API's ``InvoiceItems`` carry it: two
lines with the same name and cost are the same goods. Quantities may be fractional (goods sold
by weight) and a line may be refunded in part; a line's value is ``Cost * Quantity`` rounded to
kopecks.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from ..models import Invoice, Refund, RefundState
from ..models.refunds import OPEN_STATES

CENTS = Decimal("0.01")
#: Quantities are given to at most this many decimals (the receipt's own precision).
QUANTITY_PLACES = Decimal("0.001")
LineKey = tuple[str, Decimal]


class LinesRefused(ValueError):
    """Receipt lines that cannot go with a refund (``str()`` says why, for the merchant)."""


def receipt_lines(invoice: Invoice) -> list[dict[str, Any]]:
    """The payment's receipt lines as the Refund API's ``InvoiceItems`` (numbers as
    ``Decimal``)."""
    lines = []
    for item in (invoice.receipt or {}).get("items") or []:
        if not isinstance(item, dict):
            continue
        quantity = _decimal(item.get("quantity", 1)) or Decimal(1)
        total = _decimal(item.get("sum", 0)) or Decimal(0)
        lines.append(
            {
                "Name": str(item.get("name", ""))[:128],
                "Quantity": quantity,
                "Cost": (total / quantity).quantize(CENTS) if quantity else total,
                "Tax": item.get("tax", "none"),
                "PaymentMethod": item.get("payment_method", "full_payment"),
                "PaymentObject": item.get("payment_object", "commodity"),
            }
        )
    return lines


def line_key(line: dict[str, Any]) -> LineKey:
    return str(line.get("Name", "")), _decimal(line.get("Cost")) or Decimal(0)


def line_value(line: dict[str, Any]) -> Decimal:
    return (Decimal(str(line["Cost"])) * Decimal(str(line["Quantity"]))).quantize(CENTS)


def returned_quantities(invoice: Invoice, *, states: tuple[str, ...]) -> dict[LineKey, Decimal]:
    """How much of each line the payment's refunds in ``states`` return."""
    returned: dict[LineKey, Decimal] = defaultdict(Decimal)
    refunds = Refund.objects.filter(invoice=invoice, state__in=states).values_list(
        "items", flat=True
    )
    for items in refunds:
        for line in items or []:
            quantity = _decimal(line.get("Quantity")) if isinstance(line, dict) else None
            if quantity is not None:
                returned[line_key(line)] += quantity
    return returned


def refundable_lines(invoice: Invoice) -> list[dict[str, Any]]:
    """The receipt lines, less what open and finished refunds return; a line returned whole is
    left out."""
    returned = returned_quantities(invoice, states=(*OPEN_STATES, RefundState.FINISHED))
    left = []
    for line in receipt_lines(invoice):
        key = line_key(line)
        taken = min(returned[key], line["Quantity"])
        returned[key] -= taken
        if line["Quantity"] - taken > 0:
            left.append({**line, "Quantity": line["Quantity"] - taken})
    return left


def checked_lines(
    invoice: Invoice, amount: Decimal, items: list[dict[str, Any]] | None
) -> list[dict[str, Any]] | None:
    """``items`` as they will be sent, once they are known to be lines of this payment that
    are still refundable, each quantity within what is left, and all adding up to ``amount``.
    No lines at all is allowed (the refund carries no receipt lines). Raises
    ``LinesRefused``."""
    if not items:
        return None
    available: dict[LineKey, dict[str, Any]] = {}
    for refundable in refundable_lines(invoice):
        key = line_key(refundable)
        if key in available:
            available[key] = {
                **available[key],
                "Quantity": available[key]["Quantity"] + refundable["Quantity"],
            }
        else:
            available[key] = refundable
    asked: dict[LineKey, Decimal] = defaultdict(Decimal)
    sent = []
    for item in items:
        line = available.get(line_key(item)) if isinstance(item, dict) else None
        if line is None:
            raise LinesRefused(
                _("A receipt line is not one of this payment's, or it was refunded.")
            )
        quantity = _decimal(item.get("Quantity"))
        if quantity is None or quantity <= 0 or quantity != quantity.quantize(QUANTITY_PLACES):
            raise LinesRefused(
                _("The quantity of “%(name)s” must be above 0, with at most three decimals.")
                % {"name": line["Name"]}
            )
        asked[line_key(line)] += quantity
        if asked[line_key(line)] > line["Quantity"]:
            raise LinesRefused(
                _("At most %(left)s of “%(name)s” can still be refunded.")
                % {"left": _plain(line["Quantity"]), "name": line["Name"]}
            )
        sent.append({**line, "Quantity": quantity})
    total = sum((line_value(line) for line in sent), Decimal(0))
    if total != amount:
        raise LinesRefused(
            _("The receipt lines add up to %(total)s, not to the refund's %(amount)s.")
            % {"total": _plain(total), "amount": _plain(amount)}
        )
    return sent


def lines_after_refunds(invoice: Invoice, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Receipt ``lines`` (the receipt's own format: ``name``, ``quantity``, ``sum``) less what
    finished refunds returned: what the buyer keeps."""
    returned = returned_quantities(invoice, states=(RefundState.FINISHED,))
    kept = []
    for line in lines:
        quantity = _decimal(line.get("quantity", 1)) or Decimal(1)
        total = _decimal(line.get("sum", 0)) or Decimal(0)
        cost = (total / quantity).quantize(CENTS) if quantity else total
        key = (str(line.get("name", ""))[:128], cost)
        taken: Decimal = min(returned[key], quantity)
        returned[key] -= taken
        if taken >= quantity:
            continue
        if taken:
            left = quantity - taken
            line = {**line, "quantity": left, "sum": total - (cost * taken).quantize(CENTS)}
        kept.append(line)
    return kept


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value)) if value is not None else None
    except (InvalidOperation, ValueError):
        return None
    return number if number is not None and number.is_finite() else None


def _plain(value: Decimal) -> str:
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}"


__all__ = [
    "LinesRefused",
    "checked_lines",
    "line_key",
    "line_value",
    "lines_after_refunds",
    "receipt_lines",
    "refundable_lines",
    "returned_quantities",
]
