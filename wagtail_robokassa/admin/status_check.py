""" "Check status at ROBOKASSA" on a payment's inspect page: asks ROBOKASSA now, records a paid
operation once (``services.reconciliation``) and says what ROBOKASSA answered."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..models import CheckOutcome, Invoice
from ..protocol import MAX_INV_ID
from ..services.reconciliation import NOT_CREDITED, CheckResult, reconcile_invoice
from .permissions import policy_for
from .site_scope import may_work_on

CHECK_ACTION = "check"


def can_check(user: Any) -> bool:
    """Whether ``user`` may ask ROBOKASSA about payments (``check_invoice``)."""
    return policy_for(Invoice).user_has_permission(user, CHECK_ACTION)


@require_POST
def check_status(request: HttpRequest, pk: int) -> HttpResponse:
    if not can_check(request.user):
        raise PermissionDenied
    if not 1 <= pk <= MAX_INV_ID:  # beyond the column's range: no such payment
        raise Http404
    invoice = get_object_or_404(Invoice, pk=pk)
    if not may_work_on(request.user, invoice):
        raise PermissionDenied
    result = reconcile_invoice(invoice)
    level, text = report(result)
    messages.add_message(request, level, text)
    return redirect("robokassa_payments:inspect", invoice.pk)


def report(result: CheckResult) -> tuple[int, str]:
    """The message level and sentence for what a check found."""
    outcome = result.outcome
    if outcome == CheckOutcome.PAID:
        if result.credited:
            return messages.SUCCESS, _(
                "ROBOKASSA confirms payment #%(inv_id)s: it is now recorded as paid."
            ) % {"inv_id": result.invoice.pk}
        return messages.SUCCESS, _(
            "ROBOKASSA confirms payment #%(inv_id)s; it was already recorded."
        ) % {"inv_id": result.invoice.pk}
    if outcome in NOT_CREDITED | {CheckOutcome.FAILED, CheckOutcome.REFUSED}:
        return messages.ERROR, _("Status check of #%(inv_id)s: %(detail)s") % {
            "inv_id": result.invoice.pk,
            "detail": result.detail,
        }
    return messages.INFO, _("Status check of #%(inv_id)s: %(state)s. %(detail)s") % {
        "inv_id": result.invoice.pk,
        "state": outcome.label,
        "detail": result.detail,
    }
