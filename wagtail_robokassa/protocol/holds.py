"""Holds (pre-authorisation): charging or releasing money held by a ``StepByStep=true`` payment
(protocol reference §6.2, §11.6, §12.1.2).

``Merchant/Payment/Confirm`` charges the hold (the whole amount or less, optionally with the final
receipt); ``Merchant/Payment/Cancel`` releases it. Both are form POSTs in the order of ROBOKASSA's
SDK: ``MerchantLogin, InvoiceID, OutSum[, Receipt], SignatureValue``. The signatures are
``HASH(MerchantLogin:OutSum:InvoiceID[:Receipt]:Password1)`` and, for Cancel, with the amount's
slot left empty: ``HASH(MerchantLogin::InvoiceID:Password1)``. ``Receipt`` is PHP's
``urlencode(json_encode(receipt))``, the same string signed and put in the form. The answer is a
JSON string literal, ``"success: true"`` or ``"success: false"``; anything else proves nothing.
There is no test mode.
"""

from __future__ import annotations

import json
from decimal import Decimal

from .payment import inv_id_text, required_text
from .receipt import Receipt, check_receipt_total
from .recurring import positive_out_sum, recurring_body, recurring_receipt_text
from .signing import DEFAULT_ALGORITHM, sign

CONFIRM_PATH = "/Merchant/Payment/Confirm"
CANCEL_PATH = "/Merchant/Payment/Cancel"


def hold_url(host: str, action: str) -> str:
    """``Merchant/Payment/Confirm`` or ``…/Cancel`` (``action`` is ``confirm`` or ``cancel``)."""
    path = {"confirm": CONFIRM_PATH, "cancel": CANCEL_PATH}[action]
    return f"https://{host}{path}"


def confirm_signature(
    merchant_login: str,
    out_sum: Decimal | int | str,
    inv_id: int,
    password1: str,
    *,
    receipt: Receipt | None = None,
    algorithm: str = DEFAULT_ALGORITHM,
) -> str:
    """``HASH(MerchantLogin:OutSum:InvoiceID[:Receipt]:Password1)``."""
    parts = [
        required_text(merchant_login, "MerchantLogin"),
        positive_out_sum(out_sum),
        inv_id_text(inv_id),
    ]
    if receipt is not None:
        parts.append(recurring_receipt_text(receipt))
    parts.append(required_text(password1, "Password#1"))
    return sign(parts, algorithm)


def cancel_signature(
    merchant_login: str, inv_id: int, password1: str, *, algorithm: str = DEFAULT_ALGORITHM
) -> str:
    """``HASH(MerchantLogin::InvoiceID:Password1)``: the amount's slot stays, empty."""
    parts = [
        required_text(merchant_login, "MerchantLogin"),
        "",
        inv_id_text(inv_id),
        required_text(password1, "Password#1"),
    ]
    return sign(parts, algorithm)


def confirm_params(
    merchant_login: str,
    out_sum: Decimal | int | str,
    inv_id: int,
    password1: str,
    *,
    receipt: Receipt | None = None,
    algorithm: str = DEFAULT_ALGORITHM,
) -> list[tuple[str, str]]:
    """The fields of a Confirm, signed. A ``Receipt`` must add up to ``OutSum``."""
    if receipt is not None:
        check_receipt_total(receipt, out_sum)
    signature = confirm_signature(
        merchant_login, out_sum, inv_id, password1, receipt=receipt, algorithm=algorithm
    )
    params = [
        ("MerchantLogin", merchant_login),
        ("InvoiceID", inv_id_text(inv_id)),
        ("OutSum", positive_out_sum(out_sum)),
    ]
    if receipt is not None:
        params.append(("Receipt", recurring_receipt_text(receipt)))
    params.append(("SignatureValue", signature))
    return params


def cancel_params(
    merchant_login: str,
    out_sum: Decimal | int | str,
    inv_id: int,
    password1: str,
    *,
    algorithm: str = DEFAULT_ALGORITHM,
) -> list[tuple[str, str]]:
    """The fields of a Cancel, signed. ``OutSum`` is sent (the SDK does) but not signed."""
    signature = cancel_signature(merchant_login, inv_id, password1, algorithm=algorithm)
    return [
        ("MerchantLogin", merchant_login),
        ("InvoiceID", inv_id_text(inv_id)),
        ("OutSum", positive_out_sum(out_sum)),
        ("SignatureValue", signature),
    ]


#: The form body, as PHP's ``http_build_query`` writes it (the same as a renewal's).
hold_body = recurring_body


def read_hold_answer(body: str) -> bool | None:
    """True for ``"success: true"``, False for ``"success: false"`` (JSON string literals, as
    ROBOKASSA's SDK decodes them), None for anything else: a bare ``success: true``, a JSON
    object, a page. None proves nothing either way."""
    try:
        value = json.loads(body.strip())
    except ValueError:
        return None
    if not isinstance(value, str):
        return None
    words = value.strip().lower().replace(" ", "")
    return {"success:true": True, "success:false": False}.get(words)


__all__ = [
    "CANCEL_PATH",
    "CONFIRM_PATH",
    "cancel_params",
    "cancel_signature",
    "confirm_params",
    "confirm_signature",
    "hold_body",
    "hold_url",
    "read_hold_answer",
]
