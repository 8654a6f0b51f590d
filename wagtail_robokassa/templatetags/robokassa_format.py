"""``{% load robokassa_format %}``: ``{{ amount|money:currency }}`` for buyer-facing templates
(the payment button, the Success page), as the admin shows amounts."""

from __future__ import annotations

from decimal import Decimal

from django import template

from .. import formatting

register = template.Library()


@register.filter
def money(value: Decimal | str | None, currency: str = "") -> str:
    return formatting.amount(value, currency)
