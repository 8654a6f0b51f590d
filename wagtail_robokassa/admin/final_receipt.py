""" "Send the final receipt" on a paid payment whose receipt was a prepayment: a page with the
lines and the buyer, a confirmation, then the receipt is recorded (at most one per payment)
and sent (``services.final_receipts``). Its own permission (``send_final_receipt_invoice``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import TemplateView

from ..conf import MerchantConfig
from ..models import Invoice, SecondReceipt, SecondReceiptState
from ..services.final_receipts import (
    FinalReceiptRefusedHere,
    final_lines,
    follow_final_receipt,
    request_final_receipt,
    send_final_receipt,
    send_unknown_again,
    why_no_final_receipt,
)
from .payment_actions import PaymentActionMixin
from .permissions import policy_for
from .site_scope import may_work_on

FINAL_RECEIPT_ACTION = "send_final_receipt"


def can_send_final_receipt(user: Any) -> bool:
    return policy_for(Invoice).user_has_permission(user, FINAL_RECEIPT_ACTION)


def final_receipt_of(invoice: Invoice) -> SecondReceipt | None:
    return SecondReceipt.objects.filter(invoice=invoice).first()


class FinalReceiptView(PaymentActionMixin, TemplateView):
    """The receipt's lines and buyer (GET), then sent on confirmation (POST)."""

    template_name = "wagtail_robokassa/admin/final_receipt.html"
    header_icon = "doc-full"

    def may_act(self, user: Any) -> bool:
        return can_send_final_receipt(user)

    def problem_with(self, invoice: Invoice, config: MerchantConfig) -> str:
        return why_no_final_receipt(invoice, config)

    def get_page_title(self) -> str:
        return _("Final receipt of payment #%(inv_id)s") % {"inv_id": self.invoice.pk}

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            invoice=self.invoice,
            problem=self.problem,
            lines=[
                {**line, "sum": Decimal(str(line.get("sum", 0)))}
                for line in final_lines(self.invoice)
            ],
            final_receipt=final_receipt_of(self.invoice),
        )
        return context

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if self.problem:
            return self.get(request, *args, **kwargs)
        try:
            receipt = send_final_receipt(request_final_receipt(self.invoice, user=request.user))
        except FinalReceiptRefusedHere as refusal:
            messages.error(request, str(refusal))
            return redirect("robokassa_payments:inspect", self.invoice.pk)
        level, text = report(receipt)
        messages.add_message(request, level, text)
        return redirect("robokassa_payments:inspect", self.invoice.pk)


def report(receipt: SecondReceipt) -> tuple[int, str]:
    if receipt.state in (SecondReceiptState.SENT, SecondReceiptState.REGISTERED):
        return messages.SUCCESS, _(
            "ROBOKASSA took the final receipt; it will be registered by the fiscal service."
        )
    if receipt.state == SecondReceiptState.UNKNOWN:
        return messages.WARNING, _("The final receipt may have reached ROBOKASSA: %(message)s") % {
            "message": receipt.message
        }
    return messages.ERROR, _("The final receipt was not sent: %(message)s") % {
        "message": receipt.message or receipt.get_state_display()
    }


@require_POST
def check_final_receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask ROBOKASSA now whether a sent final receipt is registered."""
    if not can_send_final_receipt(request.user):
        raise PermissionDenied
    receipt = get_object_or_404(SecondReceipt.objects.select_related("invoice"), pk=pk)
    if not may_work_on(request.user, receipt.invoice):
        raise PermissionDenied
    receipt = follow_final_receipt(receipt)
    if receipt.state == SecondReceiptState.REGISTERED:
        messages.success(
            request,
            _("The final receipt is registered: fiscal document No. %(number)s.")
            % {"number": receipt.document_number},
        )
    else:
        messages.info(
            request,
            _("The final receipt is not registered yet. %(message)s")
            % {"message": receipt.message},
        )
    return redirect("robokassa_payments:inspect", receipt.invoice_id)


@require_POST
def send_final_receipt_again(request: HttpRequest, pk: int) -> HttpResponse:
    """A final receipt whose outcome was unknown and that is not in the ROBOKASSA cabinet:
    send it again, with the same receipt id."""
    if not can_send_final_receipt(request.user):
        raise PermissionDenied
    receipt = get_object_or_404(SecondReceipt.objects.select_related("invoice"), pk=pk)
    if not may_work_on(request.user, receipt.invoice):
        raise PermissionDenied
    try:
        receipt = send_final_receipt(send_unknown_again(receipt))
    except FinalReceiptRefusedHere as refusal:
        messages.error(request, str(refusal))
    else:
        level, text = report(receipt)
        messages.add_message(request, level, text)
    return redirect("robokassa_payments:inspect", receipt.invoice_id)
