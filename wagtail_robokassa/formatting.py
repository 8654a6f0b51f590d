"""Amounts as people read them, on buyer pages and in the admin alike: two decimals (more only
when they carry digits), the active locale's separators, and the currency sign kept on the
number's line."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format

from .protocol.amounts import shown_places

#: What is shown for a value that is not there.
EMPTY = "—"


def amount(value: Decimal | str | int | None, currency: str = "") -> str:
    """``990,00 ₽`` (Russian) or ``990.00 ₽`` (English); a no-break space before the sign.
    Text (a stored receipt's sum, a block's value) is read as a number; text that is not one is
    shown as it is."""
    if value is None or value == "":
        return EMPTY
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value))
        except ArithmeticError:
            return str(value)
    number = number_format(value, shown_places(value), use_l10n=True, force_grouping=True)
    return f"{number}\N{NO-BREAK SPACE}{currency}" if currency else number
