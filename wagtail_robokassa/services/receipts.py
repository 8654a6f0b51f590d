"""The fiscal receipt (54-FZ) of a payment made with a payment block."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..conf import MerchantConfig
from ..protocol import Receipt, ReceiptItem, TaxSystem


def receipt_for(value: Any, amount: Decimal, config: MerchantConfig) -> Receipt:
    """The one-line receipt for a payment of ``amount`` made with a payment block."""
    line = value.get("receipt") or {}
    return Receipt(
        sno=TaxSystem(config.receipt_sno) if config.receipt_sno else None,
        items=[
            ReceiptItem(
                name=(line.get("name") or value["description"])[:128],
                sum=amount,
                tax=line.get("tax") or config.receipt_tax,
                payment_method=line.get("payment_method") or config.receipt_payment_method,
                payment_object=line.get("payment_object") or config.receipt_payment_object,
            )
        ],
    )
