"""RoboFiscal's signed bodies: the second (final) receipt (``Receipt/Attach``) and its status
(``Receipt/Status``), protocol reference §4.3 and §11.3.

Body = ``P + "." + S`` where ``P`` is the base64url of the JSON and ``S`` the base64url of the
*hex text* of ``HASH(P + Password1)``, HASH being the shop's algorithm.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from .phpjson import b64url, b64url_decode, php_json
from .signing import hash_constructor

#: Payment methods of a receipt that took money before the goods: they need a final receipt.
PREPAYMENT_METHODS = frozenset({"full_prepayment", "prepayment", "advance"})


def fiscal_body(
    payload: dict[str, Any], password1: str, algorithm: str, *, escape_slashes: bool = False
) -> str:
    """The HTTP body for ``payload`` (``escape_slashes``: PHP's default, as the vendor's status
    request has it)."""
    encoded = b64url(php_json(payload, escape_slashes=escape_slashes).encode("utf-8"))
    return f"{encoded}.{fiscal_signature(encoded, password1, algorithm)}"


def fiscal_signature(encoded: str, password1: str, algorithm: str) -> str:
    digest = hash_constructor(algorithm)((encoded + password1).encode("utf-8")).hexdigest()
    return b64url(digest.lower().encode("ascii"))


def verify_fiscal_body(body: str, password1: str, algorithm: str) -> dict[str, Any]:
    """The payload of a signed body; raises ``ValueError`` when it is malformed or its signature
    is not the one ``password1`` gives (compared in constant time)."""
    encoded, dot, signature = body.strip().partition(".")
    if not dot or not encoded or not signature:
        raise ValueError("a signed body is two base64url parts joined by a dot")
    expected = fiscal_signature(encoded, password1, algorithm)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii", "replace")):
        raise ValueError("the signature does not match")
    try:
        payload = json.loads(b64url_decode(encoded).decode("utf-8"), parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"the payload is not base64url JSON: {error}") from None
    if not isinstance(payload, dict):
        raise ValueError("the payload is not a JSON object")
    return payload


def second_receipt_payload(
    *,
    merchant_login: str,
    receipt_id: int | str,
    inv_id: int,
    url: str,
    items: Iterable[dict[str, Any]],
    email: str = "",
    phone: str = "",
    sno: str = "",
) -> dict[str, Any]:
    """The final receipt of prepaid operation ``inv_id``: its lines now paid in full
    (``full_payment``), the total as paid by the prepayment (``payments`` type 2), keys in the
    vendor's order. Line amounts are ``Decimal``."""
    lines = [{**item, "payment_method": "full_payment"} for item in items]
    total = sum((Decimal(line["sum"]) for line in lines), Decimal(0))
    payload: dict[str, Any] = {
        "merchantId": merchant_login,
        "id": str(receipt_id),
        "originId": inv_id,
        "operation": "sell",
    }
    if sno:
        payload["sno"] = sno
    client = {"email": email} if email else {}
    if phone:
        client["phone"] = phone
    payload.update(
        url=url,
        total=total,
        items=lines,
        client=client,
        payments=[{"type": 2, "sum": total}],
        vats=[{"type": "none", "sum": Decimal(0)}],
    )
    return payload


def receipt_status_payload(merchant_login: str, receipt_id: int | str) -> dict[str, Any]:
    return {"merchantId": merchant_login, "id": str(receipt_id)}
