""" "Refund" on a paid payment's page: a form (the amount, the receipt lines, a reason), a
confirmation that states the amount and the buyer, then the refund is recorded once per click
and sent (``services.refunds``). Its own permission (``refund_invoice``), off for every group
until given."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxValueValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django.views.generic import FormView

from ..conf import MerchantConfig
from ..models import Invoice, Refund, RefundState
from ..services.refund_lines import LinesRefused, checked_lines, line_value, refundable_lines
from ..services.refunds import (
    RefundRefusedHere,
    abandon_unknown_refund,
    follow_refund,
    follow_unknown_refund,
    remaining,
    request_refund,
    send_refund,
    why_not_refundable,
)
from . import display
from .payment_actions import PaymentActionMixin
from .permissions import policy_for
from .site_scope import may_work_on

REFUND_ACTION = "refund"


def can_refund(user: Any) -> bool:
    return policy_for(Invoice).user_has_permission(user, REFUND_ACTION)


class RefundForm(forms.Form):
    """The amount, in the active language's format, and for each receipt line still refundable
    how many units go with it and, for a compensation, the sum refunded for them; the lines must
    add up to the amount (``refund_lines``)."""

    amount = forms.DecimalField(
        label=gettext_lazy("Amount to refund"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        localize=True,
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=255, required=False)
    key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, invoice: Invoice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        self.refundable = refundable_lines(invoice)
        currency = currency_of(invoice)
        #: Each line's name and its two fields, for the template to group them.
        self.lines: list[tuple[str, str, str]] = []
        order = ["amount"]
        for index, line in enumerate(self.refundable):
            name = line["Name"] or _("Line %(number)s") % {"number": index + 1}
            self.fields[line_field(index)] = forms.DecimalField(
                label=_("Units refunded"),
                required=False,
                min_value=Decimal(0),
                max_value=line["Quantity"],
                max_digits=12,
                decimal_places=3,
                localize=True,
                help_text=_("At most %(left)s, at %(cost)s each.")
                % {
                    "left": display.quantity(line["Quantity"]),
                    "cost": display.amount(line["Cost"], currency),
                },
            )
            self.lines.append((name, line_field(index), sum_field(index)))
            self.fields[sum_field(index)] = forms.DecimalField(
                label=_("Sum refunded"),
                required=False,
                min_value=Decimal("0.01"),
                max_value=line["Left"],
                max_digits=10,
                decimal_places=2,
                localize=True,
                help_text=_(
                    "Leave it empty to refund the units whole; a smaller sum is a compensation "
                    "(at most %(left)s)."
                )
                % {"left": display.amount(line["Left"], currency)},
            )
            order += [line_field(index), sum_field(index)]
        self.order_fields([*order, "reason", "key"])
        left = remaining(invoice)
        self.fields["amount"].validators.append(MaxValueValidator(left))
        self.fields["amount"].help_text = _("At most %(left)s.") % {
            "left": display.amount(left, currency)
        }

    def line_groups(self) -> list[tuple[str, Any, Any]]:
        """Each refundable line's name with its bound fields (units, sum)."""
        return [(name, self[units], self[total]) for name, units, total in self.lines]

    def chosen_items(self) -> list[dict[str, Any]]:
        """The lines refunded: the units asked for, at the unit cost the sum gives them."""
        chosen = []
        for index, line in enumerate(self.refundable):
            quantity = self.cleaned_data.get(line_field(index))
            if not quantity:
                continue
            total = self.cleaned_data.get(sum_field(index))
            cost = line["Cost"] if total is None else (total / quantity).quantize(Decimal("0.01"))
            chosen.append({**line, "Quantity": quantity, "Cost": cost})
        return chosen

    def chosen_summary(self) -> list[tuple[str, Decimal, Decimal]]:
        """Each line refunded, for the confirmation: its name, units and sum."""
        return [(line["Name"], line["Quantity"], line_value(line)) for line in self.chosen_items()]

    def line_values(self) -> list[tuple[str, str]]:
        """The lines' fields, unlocalised, for the confirmation's hidden inputs."""
        values = []
        for index in range(len(self.refundable)):
            for name in (line_field(index), sum_field(index)):
                value = self.cleaned_data.get(name)
                if value:
                    values.append((name, f"{value:f}"))
        return values

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for index in range(len(self.refundable)):
            quantity, total = cleaned.get(line_field(index)), cleaned.get(sum_field(index))
            if total is None or self.errors:
                continue
            if not quantity:
                self.add_error(line_field(index), _("Say how many units the sum is for."))
            elif (total / quantity).quantize(Decimal("0.01")) * quantity != total:
                message = _("The sum must split evenly among the units, in kopecks.")
                self.add_error(sum_field(index), message)
        amount = cleaned.get("amount")
        if amount is not None and not self.errors:
            try:
                checked_lines(self.invoice, amount, self.chosen_items())
            except LinesRefused as refusal:
                raise forms.ValidationError(str(refusal)) from None
        return cleaned


def line_field(index: int) -> str:
    return f"line_{index}"


def sum_field(index: int) -> str:
    return f"line_{index}_sum"


class RefundView(PaymentActionMixin, FormView):
    """The form, then its confirmation, then the refund."""

    template_name = "wagtail_robokassa/admin/refund.html"
    form_class = RefundForm
    header_icon = "form"

    def may_act(self, user: Any) -> bool:
        return can_refund(user)

    def problem_with(self, invoice: Invoice, config: MerchantConfig) -> str:
        return why_not_refundable(invoice, config)

    def get_page_title(self) -> str:
        return _("Refund payment #%(inv_id)s") % {"inv_id": self.invoice.pk}

    def get_form_kwargs(self) -> dict[str, Any]:
        kwargs = super().get_form_kwargs()
        kwargs["invoice"] = self.invoice
        return kwargs

    def get_initial(self) -> dict[str, Any]:
        """All that is left, with the lines still refundable when they make up exactly that
        amount (a full refund of what remains); else no lines, for staff to choose."""
        left = remaining(self.invoice)
        initial: dict[str, Any] = {"amount": left, "key": uuid.uuid4()}
        lines = refundable_lines(self.invoice)
        if lines and sum(line["Left"] for line in lines) == left:
            for index, line in enumerate(lines):
                initial[line_field(index)] = line["Quantity"]
                if line["Left"] != line_value(line):  # compensated before: what is left of it
                    initial[sum_field(index)] = line["Left"]
        return initial

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            invoice=self.invoice,
            problem=self.problem,
            refunds=self.invoice.refunds.order_by("-created_at"),
            paid=self.invoice.amount,
            left=remaining(self.invoice),
            currency=currency_of(self.invoice),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.problem:
            return self.get(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)

    def form_valid(self, form: RefundForm) -> HttpResponse:
        if "confirm" not in self.request.POST:
            return self.render_to_response(self.get_context_data(form=form, confirming=True))
        try:
            refund = request_refund(
                self.invoice,
                form.cleaned_data["amount"],
                key=form.cleaned_data["key"],
                items=form.chosen_items(),
                reason=form.cleaned_data["reason"],
                user=self.request.user,
            )
        except RefundRefusedHere as refusal:
            form.add_error(None, str(refusal))
            return self.form_invalid(form)
        tell(self.request, send_refund(refund).refund)
        return redirect("robokassa_payments:inspect", self.invoice.pk)


#: How each state of a refund is told to the person who acted on it.
LEVELS: dict[str, int] = {
    RefundState.PROCESSING: messages.SUCCESS,
    RefundState.FINISHED: messages.SUCCESS,
    RefundState.UNKNOWN: messages.WARNING,
    RefundState.CANCELLED: messages.WARNING,
}


def tell(request: HttpRequest, refund: Refund) -> None:
    """A message saying where ``refund`` is now."""
    messages.add_message(request, LEVELS.get(refund.state, messages.ERROR), refund_sentence(refund))


currency_of = display.currency_of_invoice


def refund_sentence(refund: Any) -> str:
    amount = display.amount(refund.amount, currency_of(refund.invoice))
    if refund.state == RefundState.FINISHED:
        return _("The refund of %(amount)s is finished.") % {"amount": amount}
    if refund.state == RefundState.PROCESSING:
        return _("ROBOKASSA accepted the refund of %(amount)s; it is being processed.") % {
            "amount": amount
        }
    if refund.state == RefundState.UNKNOWN:
        return _("The refund of %(amount)s may have reached ROBOKASSA: %(message)s") % {
            "amount": amount,
            "message": refund.message,
        }
    return _("The refund of %(amount)s was not made: %(message)s") % {
        "amount": amount,
        "message": refund.message or refund.get_state_display(),
    }


@require_POST
def check_refund(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask ROBOKASSA now where a processing refund is (the task asks on its own, later)."""
    if not can_refund(request.user):
        raise PermissionDenied
    refund = get_object_or_404(Refund.objects.select_related("invoice"), pk=pk)
    if not may_work_on(request.user, refund.invoice):
        raise PermissionDenied
    refund = follow_refund(refund)
    if refund.state == RefundState.PROCESSING:
        amount = display.amount(refund.amount, currency_of(refund.invoice))
        messages.info(
            request,
            _("ROBOKASSA is still processing the refund of %(amount)s.") % {"amount": amount},
        )
    else:
        tell(request, refund)
    return redirect("robokassa_payments:inspect", refund.invoice_id)


@require_POST
def settle_refund(request: HttpRequest, pk: int) -> HttpResponse:
    """Settle a refund whose outcome is unknown, after looking in the ROBOKASSA cabinet: follow
    the request found there by its id, or record that it was not made."""
    if not can_refund(request.user):
        raise PermissionDenied
    refund = get_object_or_404(Refund.objects.select_related("invoice"), pk=pk)
    if not may_work_on(request.user, refund.invoice):
        raise PermissionDenied
    try:
        if "not_made" in request.POST:
            refund = abandon_unknown_refund(refund)
        else:
            refund = follow_unknown_refund(refund, request.POST.get("request_id", "")[:100])
    except RefundRefusedHere as refusal:
        messages.error(request, str(refusal))
    else:
        tell(request, refund)
    return redirect("robokassa_payments:inspect", refund.invoice_id)
