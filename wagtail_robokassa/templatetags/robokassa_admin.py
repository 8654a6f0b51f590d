"""Template helpers for the plugin's admin pages: money in the shop's currency and moments in
the one format (``wagtail_robokassa.admin.display``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django import template

from ..admin import display

register = template.Library()


@register.simple_tag(takes_context=True)
def money(context: Any, value: Decimal | None) -> str:
    """``{% money amount %}`` (or ``{% money amount as shown %}``): in the shop's currency."""
    return display.amount(value, display.currency_of(context.get("request")))


@register.filter
def moment(value: datetime | None) -> str:
    """``{{ created_at|moment }}``: in the active time zone, in the admin's one format."""
    return display.moment(value)


@register.filter
def quantity(value: Any) -> str:
    """``{{ line.Quantity|quantity }}``: a receipt quantity without trailing zeros, in the
    active language's format (``1,5``)."""
    return display.quantity(value)
