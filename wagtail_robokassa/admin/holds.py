""" "Charge" and "Release" on a held payment's page: the amount to charge (never above the hold)
with the final receipt's lines, or a confirmation to release the money; then the settlement is
recorded once and sent (``services.holds``). Their own permission (``settle_hold_invoice``)."""

from __future__ import annotations

import dataclasses
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
from ..models import HoldSettlement, Invoice, SettledBy, SettlementKind, SettlementState
from ..protocol.receipt import Receipt
from ..services.holds import HoldError, cancel_hold, check_settlement, confirm_hold, settle_by
from . import display
from .payment_actions import PaymentActionMixin
from .payment_links import forbidding
from .permissions import policy_for
from .site_scope import may_work_on

SETTLE_ACTION = "settle_hold"


def can_settle_holds(user: Any) -> bool:
    return policy_for(Invoice).user_has_permission(user, SETTLE_ACTION)


def held_receipt(invoice: Invoice) -> Receipt | None:
    """The receipt sent with the hold, as lines to charge from."""
    if not invoice.receipt:
        return None
    try:
        return Receipt.from_dict(invoice.receipt)
    except ValueError:
        return None


def why_not_settled(invoice: Invoice) -> str:
    if not invoice.is_held:
        return _("This payment is not on hold.")
    settlement = HoldSettlement.objects.filter(invoice=invoice).first()
    if settlement is not None and settlement.state != SettlementState.REFUSED:
        return _("This hold is already being settled (%(action)s: %(state)s).") % {
            "action": settlement.get_kind_display(),
            "state": settlement.get_state_display(),
        }
    return ""


class ChargeForm(forms.Form):
    """The amount to charge and, when the payment has a receipt, each line's final sum (0
    leaves the line out); the lines must add up to the amount."""

    amount = forms.DecimalField(
        label=gettext_lazy("Amount to charge"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        localize=True,
    )

    def __init__(self, *args: Any, invoice: Invoice, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invoice = invoice
        self.receipt = held_receipt(invoice)
        held = invoice.held_amount or invoice.amount
        currency = display.currency_of_invoice(invoice)
        self.fields["amount"].validators.append(MaxValueValidator(held))
        self.fields["amount"].help_text = _("At most %(held)s, the amount held.") % {
            "held": display.amount(held, currency)
        }
        for index, item in enumerate(self.receipt.items if self.receipt else ()):
            self.fields[f"line_{index}"] = forms.DecimalField(
                label=item.name,
                min_value=Decimal(0),
                max_value=item.sum,
                max_digits=10,
                decimal_places=2,
                localize=True,
                initial=item.sum,
                help_text=_("At most %(sum)s.") % {"sum": display.amount(item.sum, currency)},
            )

    def line_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("line_")]

    def final_receipt(self) -> Receipt | None:
        """The receipt of what is charged (None when the payment had none, or all is charged
        with the lines unchanged)."""
        if self.receipt is None:
            return None
        items = []
        for index, item in enumerate(self.receipt.items):
            total = self.cleaned_data.get(f"line_{index}")
            if total:
                items.append(dataclasses.replace(item, sum=total, cost=None))
        receipt = dataclasses.replace(self.receipt, items=tuple(items))
        return None if receipt == self.receipt else receipt

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        amount = cleaned.get("amount")
        if self.errors or amount is None or self.receipt is None:
            return cleaned
        lines = [cleaned.get(f"line_{index}") or 0 for index in range(len(self.receipt.items))]
        if not any(lines):
            raise forms.ValidationError(_("Keep at least one receipt line."))
        if sum(lines) != amount:
            raise forms.ValidationError(
                _("The receipt lines add up to %(total)s, not the amount to charge.")
                % {"total": display.amount(sum(lines), display.currency_of_invoice(self.invoice))}
            )
        return cleaned


class HoldActionView(PaymentActionMixin, FormView):
    """What charging and releasing share: the permission, why the hold cannot be settled, and
    the hold's facts."""

    header_icon = "form"

    def may_act(self, user: Any) -> bool:
        return can_settle_holds(user)

    def problem_with(self, invoice: Invoice, config: MerchantConfig) -> str:
        return why_not_settled(invoice)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(invoice=self.invoice, problem=self.problem, **hold_facts(self.invoice))
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.problem:
            return self.get(request, *args, **kwargs)
        return super().post(request, *args, **kwargs)


class ChargeHoldView(HoldActionView):
    """The amount and the lines, then the charge."""

    template_name = "wagtail_robokassa/admin/hold_charge.html"
    form_class = ChargeForm

    def get_page_title(self) -> str:
        return _("Charge held payment #%(inv_id)s") % {"inv_id": self.invoice.pk}

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "invoice": self.invoice}

    def get_initial(self) -> dict[str, Any]:
        return {"amount": self.invoice.held_amount or self.invoice.amount}

    def form_valid(self, form: ChargeForm) -> HttpResponse:
        try:
            settlement = confirm_hold(
                self.invoice,
                form.cleaned_data["amount"],
                form.final_receipt(),
                user=self.request.user,
                settled_by=SettledBy.STAFF,
            )
        except HoldError as refusal:
            messages.error(self.request, str(refusal))
        else:
            messages.add_message(self.request, *report(settlement))
        return redirect("robokassa_payments:inspect", self.invoice.pk)


class ReleaseHoldView(HoldActionView):
    """A confirmation, then the release."""

    template_name = "wagtail_robokassa/admin/hold_release.html"
    form_class = forms.Form

    def get_page_title(self) -> str:
        return _("Release held payment #%(inv_id)s") % {"inv_id": self.invoice.pk}

    def form_valid(self, form: forms.Form) -> HttpResponse:
        try:
            settlement = cancel_hold(
                self.invoice, user=self.request.user, settled_by=SettledBy.STAFF
            )
        except HoldError as refusal:
            messages.error(self.request, str(refusal))
        else:
            messages.add_message(self.request, *report(settlement))
        return redirect("robokassa_payments:inspect", self.invoice.pk)


def hold_facts(invoice: Invoice) -> dict[str, Any]:
    """What the hold's pages show: what is held, until when, and when the sweep settles it."""
    return {
        "held": invoice.held_amount or invoice.amount,
        "expires": invoice.hold_expires_at,
        "settle_by": settle_by(invoice),
    }


def report(settlement: HoldSettlement) -> tuple[int, str]:
    charge = settlement.kind == SettlementKind.CHARGE
    if settlement.state == SettlementState.DONE:
        if not charge:
            return messages.SUCCESS, _("ROBOKASSA released the money.")
        settlement.invoice.refresh_from_db(fields=["status"])
        if settlement.invoice.is_paid:
            return messages.SUCCESS, _("ROBOKASSA charged the payment; it is paid.")
        return messages.SUCCESS, _(
            "ROBOKASSA accepted the charge; the payment is paid when its notification arrives."
        )
    if settlement.state == SettlementState.UNKNOWN:
        return messages.WARNING, _(
            "ROBOKASSA's answer was lost: the payment is asked about before anything else is "
            "sent. %(message)s"
        ) % {"message": settlement.message}
    return messages.ERROR, _("ROBOKASSA did not do it: %(message)s") % {
        "message": settlement.message or settlement.get_state_display()
    }


@forbidding
@require_POST
def check_hold(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask ROBOKASSA now what an uncertain charge or release did."""
    if not can_settle_holds(request.user):
        raise PermissionDenied
    settlement = get_object_or_404(HoldSettlement.objects.select_related("invoice"), pk=pk)
    if not may_work_on(request.user, settlement.invoice):
        raise PermissionDenied
    settlement = check_settlement(settlement)
    if settlement.state == SettlementState.UNKNOWN:
        messages.info(request, _("ROBOKASSA's answer does not settle it yet: try again later."))
    else:
        messages.add_message(request, *report(settlement))
    return redirect("robokassa_payments:inspect", settlement.invoice_id)
