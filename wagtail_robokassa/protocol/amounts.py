"""Money: ``OutSum`` and receipt sums are ``Decimal``; floats are refused."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MAX_INTEGER_DIGITS = 8

_PLAIN_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?\Z")


def to_decimal(value: Decimal | int | str, what: str = "amount") -> Decimal:
    """Convert a ``Decimal``, ``int`` or plain decimal string; refuse floats and other types."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be a Decimal, an int or a decimal string, not a bool")
    if isinstance(value, float):
        raise ValueError(
            f"{what} is a float ({value!r}); floats lose cents. Pass a Decimal or a string "
            "such as '100.00'."
        )
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip()
        if not _PLAIN_DECIMAL.match(text):
            raise ValueError(
                f"{what} {value!r} is not a plain decimal number with a dot (like '100.00')"
            )
        return Decimal(text)
    raise TypeError(f"{what} must be a Decimal, an int or a decimal string, not {type(value)}")


def money(
    value: Decimal | int | str,
    what: str = "amount",
    *,
    allow_zero: bool = False,
    places: int = 2,
) -> Decimal:
    """Validate a sum of money and return it quantized to ``places`` decimals.

    Refused with ``ValueError``: NaN, infinities, negatives, zero (unless ``allow_zero``), more
    than eight integer digits, and more than ``places`` significant decimals (a sum is never
    rounded silently).
    """
    amount = to_decimal(value, what)
    if not amount.is_finite():
        raise ValueError(f"{what} must be a finite number, not {value!r}")
    if amount < 0 or amount.is_signed():
        if amount != 0:
            raise ValueError(f"{what} must not be negative: {value!r}")
        amount = abs(amount)
    if amount == 0 and not allow_zero:
        raise ValueError(f"{what} must be greater than zero")
    if amount != 0 and amount.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValueError(f"{what} {value!r} has more than {MAX_INTEGER_DIGITS} integer digits")
    step = Decimal(1).scaleb(-places)
    try:
        quantized = amount.quantize(step)
    except InvalidOperation:  # pragma: no cover - excluded by the digit check above
        raise ValueError(f"{what} {value!r} cannot be represented") from None
    if quantized != amount:
        raise ValueError(f"{what} {value!r} has more than {places} decimal places")
    return quantized


def format_out_sum(amount: Decimal | int | str) -> str:
    """Return ``OutSum`` as ROBOKASSA should receive it: two decimals, a dot, no grouping."""
    return f"{money(amount, 'OutSum'):f}"


def shown_places(value: Decimal) -> int:
    """Decimal places to show an amount exactly and as money: two, or more only when they carry
    digits (a fee of 9.7695)."""
    exponent = value.normalize().as_tuple().exponent
    return max(2, -exponent) if isinstance(exponent, int) else 2


def plain_amount(value: Decimal) -> str:
    """An amount for a record's name: ``990.00``, ``9.7695`` (stored as ``990.00000000``)."""
    return f"{value:.{shown_places(value)}f}"


def json_number(value: Decimal) -> str:
    """A Decimal as a JSON number without trailing zeros (``100``, ``99.5``)."""
    return f"{value.normalize():f}"
