"""Writing a payment exactly once, by the write path in force (``write_paths``), and counting
the repeated deliveries of a payment already recorded."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Exists, F, OuterRef, Q

from ..models import Invoice, RejectionReason, SuccessNotification
from ..protocol import Callback
from .config import ConfigGuard
from .verification import Refusal
from .write_paths import Recorded, WritePath, write_path

__all__ = ["Recorded", "count_repeat_delivery", "record_payment"]


def record_payment(
    values: dict[str, Any],
    callback: Callback,
    *,
    now: datetime,
    require_invoice: bool,
    path: WritePath | None = None,
    guard: ConfigGuard | None = None,
) -> Recorded:
    """Record a verified notification once and mark its invoice paid, by ``path`` (default: the
    one in force); see ``WritePath.record``."""
    path = path or write_path()
    return path.record(values, callback, now=now, require_invoice=require_invoice, guard=guard)


def count_repeat_delivery(key: dict[str, Any], callback: Callback, now: datetime) -> None:
    """A repeated delivery of a recorded notification: counted, when it is the same payment.

    A stored row with another amount, or recorded before this InvId became one of our invoices (a
    number paid through other code), is a different payment: refused, never acknowledged as this
    one. One statement: the count only moves when the row matches.
    """
    invoice_exists = Exists(Invoice.objects.filter(pk=OuterRef("inv_id")))
    same_payment = SuccessNotification.objects.filter(**key, out_sum=callback.out_sum).filter(
        Q(invoice__isnull=False) | ~invoice_exists
    )
    if same_payment.update(deliveries=F("deliveries") + 1, last_delivery_at=now):
        return
    stored = SuccessNotification.objects.filter(**key).values_list("out_sum", flat=True).first()
    if stored is None:  # rows are never deleted; if one was, let ROBOKASSA try again
        raise LookupError("the recorded notification is gone")
    raise Refusal(
        RejectionReason.DIFFERENT_PAYMENT,
        f"InvId {callback.inv_id} was recorded for another payment"
        + ("" if stored == callback.out_sum else f" of {stored}"),
        status=409,
        callback=callback,
    )
