"""The fiscal receipt (54-FZ) of a payment made with a payment block."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..conf import MerchantConfig
from ..protocol import PaymentMethod, PaymentObject, Receipt, ReceiptItem, Tax, TaxSystem


def receipt_for(value: Any, amount: Decimal, config: MerchantConfig) -> Receipt:
    """The one-line receipt for a payment of ``amount`` made with a payment block."""
    line = value.get("receipt") or {}
    return Receipt(
        sno=TaxSystem(config.receipt_sno) if config.receipt_sno else None,
        items=(
            ReceiptItem(
                name=(line.get("name") or value["description"])[:128],
                sum=amount,
                tax=Tax(line.get("tax") or config.receipt_tax),
                payment_method=PaymentMethod(
                    line.get("payment_method") or config.receipt_payment_method
                ),
                payment_object=PaymentObject(
                    line.get("payment_object") or config.receipt_payment_object
                ),
            ),
        ),
    )
