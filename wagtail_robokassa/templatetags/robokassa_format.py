"""``{% load robokassa_format %}``: ``{{ amount|money:currency }}`` for buyer-facing templates
(the payment button, the Success page), as the admin shows amounts."""

from __future__ import annotations

from decimal import Decimal

from django import template

from .. import formatting

register = template.Library()


@register.filter
def money(value: Decimal | str | None, currency: str = "") -> str:
    if value in (None, ""):
        return formatting.EMPTY
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        return str(value)
    return formatting.amount(number, currency)
