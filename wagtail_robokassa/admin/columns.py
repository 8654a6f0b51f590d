"""Listing columns that show a record's values as its inspect page does (``display``): times in
the active time zone, money in the shop's currency, flags and statuses as Wagtail's status tags,
an em dash for nothing. Sorting stays on the stored field."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from wagtail.admin.ui.tables import Column, StatusTagColumn, TitleColumn

from . import display

#: A flag's tag texts (true, false); flags not named here say yes or no.
FLAG_TAGS = {"is_test": (_("Test"), _("Live"))}
#: The same for one model's flag, where its name needs other words (a link is feminine in
#: Russian: "тестовая").
MODEL_FLAG_TAGS = {
    ("paymentlink", "is_test"): (
        pgettext_lazy("payment link", "Test"),
        pgettext_lazy("payment link", "Live"),
    ),
}
#: Choice fields shown as status tags, with the value that is styled as primary.
STATUS_TAGS = {"status": "paid"}


class MomentColumn(Column):
    def get_value(self, instance: Any) -> str:
        return display.moment(super().get_value(instance))


class MoneyColumn(Column):
    def get_cell_context_data(self, instance: Any, parent_context: Any) -> dict[str, Any]:
        context = super().get_cell_context_data(instance, parent_context)
        currency = display.currency_of(parent_context.get("request"))
        context["value"] = display.amount(context["raw_value"], currency)
        return context


class NonZeroMoneyColumn(MoneyColumn):
    """Money, or an em dash for none (a payment's refunded total)."""

    def get_cell_context_data(self, instance: Any, parent_context: Any) -> dict[str, Any]:
        context = super().get_cell_context_data(instance, parent_context)
        if not context["raw_value"]:
            context["value"] = display.EMPTY
        return context


class PaymentStatusColumn(StatusTagColumn):
    """A payment's status tag and, while it is not paid, one for its buyer coming back through
    the Fail URL (``PaymentIndexView`` annotates ``buyer_returned_via_fail``) and one for what
    the last status check at ROBOKASSA found."""

    cell_template_name = "wagtail_robokassa/admin/payment_status_cell.html"

    def get_cell_context_data(self, instance: Any, parent_context: Any) -> dict[str, Any]:
        context = super().get_cell_context_data(instance, parent_context)
        unpaid = not getattr(instance, "is_paid", False)
        context["returned_via_fail"] = unpaid and getattr(
            instance, "buyer_returned_via_fail", False
        )
        last_check = getattr(instance, "last_check", "")
        context["last_check"] = instance.get_last_check_display() if unpaid and last_check else ""
        context["refund_state"] = getattr(instance, "refund_state", "")
        held = getattr(instance, "is_held", False) and getattr(instance, "hold_expires_at", None)
        context["held_until"] = display.day(instance.hold_expires_at) if held else ""
        return context


class FlagColumn(StatusTagColumn):
    """A boolean as a status tag (primary when true)."""

    def __init__(self, name: str, tags: tuple[Any, Any], **kwargs: Any) -> None:
        super().__init__(name, primary=lambda instance: bool(getattr(instance, name)), **kwargs)
        self.tags = tags

    def get_value(self, instance: Any) -> Any:
        yes, no = self.tags
        return yes if getattr(instance, self.name) else no


def record_columns(model: type[models.Model], *names: str) -> list[Column]:
    """Columns for ``names`` (fields of ``model``), each labelled and sorted by its field."""
    return [_column(_field(model, name)) for name in names]


def _field(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a field of its own")
    return field


def _column(field: Any) -> Column:
    name = field.name
    options = {"label": capfirst(field.verbose_name), "sort_key": name}
    if isinstance(field, models.DateTimeField):
        column: Column = MomentColumn(name, **options)
    elif isinstance(field, models.BooleanField):
        tags = MODEL_FLAG_TAGS.get((str(field.model._meta.model_name), name)) or FLAG_TAGS.get(name)
        column = FlagColumn(name, tags or (_("Yes"), _("No")), **options)
    elif isinstance(field, models.DecimalField):
        column = MoneyColumn(name, **options)
    elif field.choices and name in STATUS_TAGS:
        primary = STATUS_TAGS[name]
        column = PaymentStatusColumn(
            name,
            accessor=f"get_{name}_display",
            primary=lambda instance: getattr(instance, name) == primary,
            **options,
        )
    elif field.choices:
        column = Column(name, accessor=f"get_{name}_display", **options)
    else:
        column = Column(name, **options)
    column.empty_value_display = display.EMPTY
    return column


def moment_title_column(model: type[models.Model], name: str, inspect_url_name: str) -> Column:
    """A listing's first column when it is a time: the moment, linking to the record."""
    field = _field(model, name)
    return TitleColumn(
        name,
        label=capfirst(field.verbose_name),
        sort_key=name,
        accessor=lambda instance: display.moment(getattr(instance, name)),
        get_url=lambda instance: reverse(inspect_url_name, args=[instance.pk]),
    )
