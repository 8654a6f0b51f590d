"""Success and Fail pages: recorded for review, never a change of payment state.

Both pages are open to anyone, so what they store is capped like refusals are (``caps``), and a
Success visit is stored and signalled once per payment: a reload, or a replay of one's own link,
shows the page again and stores nothing.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal
from django.http import HttpRequest

from ..conf import MerchantConfig
from ..models import (
    Invoice,
    NotifiedState,
    OverflowKind,
    PaymentVisit,
    StateNotification,
    SuccessNotification,
    VisitKind,
)
from ..protocol import Callback
from ..signals import fail_page_visited, send, success_page_visited
from .caps import StorageCap, with_reconnect
from .rejections import redact
from .storable import storable

VISITS = StorageCap(
    PaymentVisit,
    OverflowKind.VISIT,
    per_minute="ROBOKASSA_VISITS_PER_MINUTE",
    per_address="ROBOKASSA_VISITS_PER_ADDRESS_PER_MINUTE",
)

_SIGNALS: dict[str, Signal] = {
    VisitKind.SUCCESS: success_page_visited,
    VisitKind.FAIL: fail_page_visited,
}


def has_matching_notification(callback: Callback, config: MerchantConfig) -> bool:
    """Strict check: ROBOKASSA has already confirmed this InvId and amount on the Result URL."""
    amounts = SuccessNotification.objects.filter(
        merchant_login=config.login, is_test=callback.is_test, inv_id=callback.inv_id
    ).values_list("out_sum", flat=True)
    if any(amount == callback.out_sum for amount in amounts):
        return True
    # A hold has no Result URL notification until it is charged: its verified HOLD counts.
    return StateNotification.objects.filter(
        merchant_login=config.login,
        is_test=callback.is_test,
        inv_id=callback.inv_id,
        state=NotifiedState.HOLD,
        inc_sum=callback.out_sum,
    ).exists()


def record_visit(
    kind: str,
    callback: Callback,
    *,
    sender: Any,
    signature_valid: bool | None,
    client_ip: str | None = None,
    request: HttpRequest | None = None,
) -> PaymentVisit:
    """Store a visit and send ``success_page_visited`` or ``fail_page_visited``.

    Returns the visit, not saved when a cap was reached, or the first one when this payment's
    Success page was visited before (then no signal is sent again).
    """
    invoice = Invoice.objects.filter(pk=callback.inv_id).first()
    visit = PaymentVisit(
        kind=kind,
        inv_id=callback.inv_id,
        out_sum=callback.out_sum,
        is_test=callback.is_test,
        signature_valid=signature_valid,
        culture=storable(callback.culture[:16]),
        params=redact(callback.unsigned_params().items()),  # capped as refusals are
        invoice=invoice,
        client_ip=client_ip,
    )
    if kind == VisitKind.SUCCESS:
        earlier = PaymentVisit.objects.filter(
            kind=kind, inv_id=callback.inv_id, is_test=callback.is_test, signature_valid=True
        ).first()
        if earlier is not None:
            return earlier
    if not with_reconnect(lambda: VISITS.allows(client_ip)):
        return visit
    with_reconnect(visit.save)
    send(
        _SIGNALS[kind],
        sender=sender,
        callback=callback,
        invoice=invoice,
        request=request,
        visit=visit,
    )
    return visit
