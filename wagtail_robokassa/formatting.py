"""Amounts as people read them, on buyer pages and in the admin alike: two decimals (more only
when they carry digits), the active locale's separators, and the currency sign kept on the
number's line."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format

from .protocol.amounts import shown_places

#: What is shown for a value that is not there.
EMPTY = "—"


def amount(value: Decimal | None, currency: str = "") -> str:
    """``990,00 ₽`` (Russian) or ``990.00 ₽`` (English); a no-break space before the sign."""
    if value is None:
        return EMPTY
    number = number_format(value, shown_places(value), use_l10n=True, force_grouping=True)
    return f"{number}\N{NO-BREAK SPACE}{currency}" if currency else number
