"""Success and Fail pages: recorded for review, never a change of payment state."""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal
from django.http import HttpRequest

from ..conf import MerchantConfig
from ..models import Invoice, PaymentVisit, SuccessNotification, VisitKind
from ..protocol import Callback
from ..signals import fail_page_visited, send, success_page_visited

_SIGNALS: dict[str, Signal] = {
    VisitKind.SUCCESS: success_page_visited,
    VisitKind.FAIL: fail_page_visited,
}


def has_matching_notification(callback: Callback, config: MerchantConfig) -> bool:
    """Strict check: ROBOKASSA has already confirmed this InvId and amount on the Result URL."""
    amounts = SuccessNotification.objects.filter(
        merchant_login=config.login, is_test=callback.is_test, inv_id=callback.inv_id
    ).values_list("out_sum", flat=True)
    return any(amount == callback.out_sum for amount in amounts)


def record_visit(
    kind: str,
    callback: Callback,
    *,
    sender: Any,
    signature_valid: bool | None,
    client_ip: str | None = None,
    request: HttpRequest | None = None,
) -> PaymentVisit:
    """Store a visit and send ``success_page_visited`` or ``fail_page_visited``."""
    invoice = Invoice.objects.filter(pk=callback.inv_id).first()
    visit = PaymentVisit.objects.create(
        kind=kind,
        inv_id=callback.inv_id,
        out_sum=callback.out_sum,
        is_test=callback.is_test,
        signature_valid=signature_valid,
        culture=callback.culture[:16],
        params=callback.unsigned_params(),
        invoice=invoice,
        client_ip=client_ip,
    )
    send(
        _SIGNALS[kind],
        sender=sender,
        callback=callback,
        invoice=invoice,
        request=request,
        visit=visit,
    )
    return visit
