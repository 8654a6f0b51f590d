"""Starting a payment: the invoice, and the signed fields that send the buyer to ROBOKASSA."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..conf import MerchantConfig
from ..models import Invoice
from ..protocol import Receipt, check_receipt_total, payment_params, payment_url
from .numbering import create_invoice

logger = logging.getLogger("wagtail_robokassa.payments")


@dataclass(frozen=True)
class PaymentStart:
    """A created invoice and where to send the buyer: POST ``params`` to ``target``."""

    invoice: Invoice
    params: list[tuple[str, str]]
    target: str

    @property
    def url(self) -> str:
        """The same as a GET URL (``Receipt`` encoded twice there, as ROBOKASSA requires)."""
        return payment_url(self.target, self.params)


def start_payment(
    config: MerchantConfig,
    *,
    amount: Decimal,
    description: str,
    email: str = "",
    receipt: Receipt | None = None,
    inc_curr_label: str = "",
    site: Any = None,
    page: Any = None,
    block_id: str = "",
    reference: str = "",
    recurring: bool = False,
    subscription: Any = None,
    hold: bool = False,
    result_url2: str = "",
) -> PaymentStart:
    """Create a pending ``Invoice`` (its id is the InvId) and sign the payment for it.
    ``recurring`` sends ``Recurring=true``: the first payment of ``subscription``. ``hold``
    sends ``StepByStep=true``: the money is held, to be charged or released later; ROBOKASSA
    announces the hold only at ``result_url2`` (the absolute address of ``robokassa_result2``),
    which is then required."""
    if receipt is not None:
        check_receipt_total(receipt, amount)
    if hold and not result_url2:
        raise ValueError("a hold is announced only at ResultUrl2: give its address")
    if hold and recurring:
        raise ValueError("ROBOKASSA does not hold the first payment of a subscription")
    is_test = config.test_mode
    password1 = config.password1_for(is_test)  # raises before anything is written
    invoice = create_invoice(
        merchant_login=config.login,
        is_test=is_test,
        amount=amount,
        description=description[:100],
        email=email,
        receipt=receipt.to_dict() if receipt is not None else None,
        site=site,
        page=page,
        block_id=block_id,
        reference=reference,
        subscription=subscription,
        hold=hold,
    )
    params = payment_params(
        config.login,
        amount,
        invoice.pk,
        password1,
        description=description,
        is_test=is_test,
        culture=config.culture or None,
        email=email or None,
        inc_curr_label=inc_curr_label or None,
        receipt=receipt,
        recurring=recurring,
        step_by_step=hold,
        result_url2=result_url2 or None,
        algorithm=config.algorithm,
    )
    logger.info("ROBOKASSA invoice %s created: %s", invoice.pk, amount)
    return PaymentStart(invoice=invoice, params=params, target=config.target)
