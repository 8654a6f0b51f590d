"""What a refund's receipt says: the payment's receipt lines, what earlier refunds returned of
them, and the check that the lines sent add up to the amount refunded (54-FZ wants the refund
receipt to match the money).

A refund line is a line of the payment's receipt (``Line``: its position, kept with the refund
and never sent) in a quantity of units the buyer still holds, each refunded whole (at the
line's unit cost) or in part (at a lower cost: a compensation). Quantities may be fractional
(goods sold by weight). Units refunded whole are not offered again, and no line returns more
than it was sold for. A line's value is ``Cost * Quantity`` rounded to kopecks.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from ..models import Invoice, Refund, RefundState
from ..models.refunds import OPEN_STATES

CENTS = Decimal("0.01")
#: Quantities are given to at most this many decimals (the receipt's own precision).
QUANTITY_PLACES = Decimal("0.001")
#: The key of a refund line that names the receipt line it refunds (stored, never sent).
LINE = "Line"
#: States whose lines are taken: open (they may yet go through) and finished.
TAKEN_STATES = (*OPEN_STATES, RefundState.FINISHED)


class LinesRefused(ValueError):
    """Receipt lines that cannot go with a refund (``str()`` says why, for the merchant)."""


@dataclass
class Returned:
    """What refunds return of one receipt line: units refunded whole, and value in all."""

    units: Decimal = Decimal(0)
    value: Decimal = Decimal(0)


def receipt_lines(invoice: Invoice) -> list[dict[str, Any]]:
    """The payment's receipt lines as the Refund API's ``InvoiceItems`` (numbers as
    ``Decimal``), each with its position (``Line``)."""
    lines = []
    for index, item in enumerate((invoice.receipt or {}).get("items") or []):
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
                LINE: index,
            }
        )
    return lines


def line_value(line: dict[str, Any]) -> Decimal:
    return (Decimal(str(line["Cost"])) * Decimal(str(line["Quantity"]))).quantize(CENTS)


def line_of(item: Any, lines: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The receipt line a refund line refunds: the one it names, else the one with its name and
    cost, else the first with its name and a cost it can be part of."""
    if not isinstance(item, dict):
        return None
    named = [line for line in lines if line["Name"] == str(item.get("Name", ""))]
    position = item.get(LINE)
    if isinstance(position, int) and not isinstance(position, bool):
        return next((line for line in named if line[LINE] == position), None)
    cost = _decimal(item.get("Cost"))
    if cost is None:
        return None
    exact = [line for line in named if line["Cost"] == cost]
    return next(iter(exact or [line for line in named if line["Cost"] >= cost]), None)


def returned(invoice: Invoice, *, states: tuple[str, ...] = TAKEN_STATES) -> dict[int, Returned]:
    """What the payment's refunds in ``states`` return of each receipt line, by position."""
    lines = receipt_lines(invoice)
    taken: dict[int, Returned] = defaultdict(Returned)
    refunds = Refund.objects.filter(invoice=invoice, state__in=states).values_list(
        "items", flat=True
    )
    for items in refunds:
        for item in items or []:
            line = line_of(item, lines)
            quantity = _decimal(item.get("Quantity")) if line is not None else None
            cost = _decimal(item.get("Cost")) if line is not None else None
            if line is None or quantity is None or cost is None:
                continue
            part = taken[line[LINE]]
            part.value += (cost * quantity).quantize(CENTS)
            if cost == line["Cost"]:
                part.units += quantity
    return taken


def refundable_lines(invoice: Invoice) -> list[dict[str, Any]]:
    """The receipt lines still refundable: ``Quantity`` the units not refunded whole,
    ``Left`` the value not returned yet (a line returned whole, or in full value, is left
    out)."""
    taken = returned(invoice)
    left = []
    for line in receipt_lines(invoice):
        part = taken.get(line[LINE], Returned())
        units = line["Quantity"] - part.units
        value = line_value(line) - part.value
        if units > 0 and value > 0:
            left.append({**line, "Quantity": units, "Left": value})
    return left


def checked_lines(
    invoice: Invoice, amount: Decimal, items: list[dict[str, Any]] | None
) -> list[dict[str, Any]] | None:
    """``items`` as they will be stored (each naming its receipt line), once they are known to
    be lines of this payment, each within the units and the value still refundable, all adding
    up to ``amount``. No lines at all is allowed (the refund carries no receipt lines). Raises
    ``LinesRefused``."""
    if not items:
        return None
    lines = receipt_lines(invoice)
    available = {line[LINE]: line for line in refundable_lines(invoice)}
    asked: dict[int, Returned] = defaultdict(Returned)
    chosen = []
    for item in items:
        line = line_of(item, lines)
        if line is None or line[LINE] not in available:
            raise LinesRefused(
                _("A receipt line is not one of this payment's, or it was refunded.")
            )
        left = available[line[LINE]]
        quantity, cost = _decimal(item.get("Quantity")), _decimal(item.get("Cost"))
        if quantity is None or quantity <= 0 or quantity != quantity.quantize(QUANTITY_PLACES):
            raise LinesRefused(
                _("The quantity of “%(name)s” must be above 0, with at most three decimals.")
                % {"name": line["Name"]}
            )
        if cost is None or not 0 < cost <= line["Cost"] or cost != cost.quantize(CENTS):
            raise LinesRefused(
                _("“%(name)s” can be refunded at most at its price, %(cost)s a unit.")
                % {"name": line["Name"], "cost": _plain(line["Cost"])}
            )
        part = asked[line[LINE]]
        part.units += quantity
        part.value += (cost * quantity).quantize(CENTS)
        if part.units > left["Quantity"]:
            raise LinesRefused(
                _("At most %(left)s of “%(name)s” can still be refunded.")
                % {"left": _plain(left["Quantity"]), "name": line["Name"]}
            )
        if part.value > left["Left"]:
            raise LinesRefused(
                _("At most %(left)s of “%(name)s” can still be refunded.")
                % {"left": _plain(left["Left"]), "name": line["Name"]}
            )
        chosen.append({**line, "Quantity": quantity, "Cost": cost})
    total = sum((line_value(line) for line in chosen), Decimal(0))
    if total != amount:
        raise LinesRefused(
            _("The receipt lines add up to %(total)s, not to the refund's %(amount)s.")
            % {"total": _plain(total), "amount": _plain(amount)}
        )
    return chosen


def kept_items(invoice: Invoice) -> list[tuple[int, dict[str, Any]]]:
    """The receipt's items (its own format: ``name``, ``quantity``, ``sum``), by position,
    less what finished refunds returned: what the buyer keeps."""
    taken = returned(invoice, states=(RefundState.FINISHED,))
    kept = []
    for index, item in enumerate((invoice.receipt or {}).get("items") or []):
        if not isinstance(item, dict):
            continue
        part = taken.get(index)
        if part is not None:
            quantity = (_decimal(item.get("quantity", 1)) or Decimal(1)) - part.units
            total = (_decimal(item.get("sum", 0)) or Decimal(0)) - part.value
            if quantity <= 0 or total <= 0:
                continue
            item = {**item, "quantity": quantity, "sum": total}
        kept.append((index, item))
    return kept


def without_position(line: dict[str, Any]) -> dict[str, Any]:
    """A refund line as ROBOKASSA takes it (its receipt position and what is left dropped)."""
    return {name: value for name, value in line.items() if name not in (LINE, "Left")}


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
    "LINE",
    "LinesRefused",
    "checked_lines",
    "kept_items",
    "line_of",
    "line_value",
    "receipt_lines",
    "refundable_lines",
    "returned",
    "without_position",
]
