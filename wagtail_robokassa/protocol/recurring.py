"""Recurring payments: a child charge at ``Merchant/Recurring`` (protocol reference §6.1, §11.7,
§12.1.3).

The parent is an ordinary payment sent with ``Recurring=true`` (unsigned; ``payment_params``'
``recurring``). A child charge is a server-to-server form POST of ``OutSum``, ``InvoiceID`` (a
new InvId), ``PreviousInvoiceID`` (the parent's), optionally ``Description`` and ``Receipt``,
then ``MerchantLogin`` and ``SignatureValue`` =
``HASH(MerchantLogin:OutSum:InvoiceID[:Receipt]:Password1)``; ``PreviousInvoiceID`` is sent but
not signed. ``Receipt`` is PHP's ``urlencode(json_encode(receipt))`` with the default flags, the
same string signed and put in the form (so it is encoded twice on the wire). ROBOKASSA's answer
``OK<InvoiceID>`` means the charge was *accepted*, not paid: the Result URL says when it is.
There is no test mode.
"""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import quote_plus

from .amounts import format_out_sum
from .payment import DESCRIPTION_MAX_LENGTH, inv_id_text
from .receipt import Receipt, check_receipt_total
from .signing import DEFAULT_ALGORITHM, sign

RECURRING_PATH = "/Merchant/Recurring"
#: The only fields ROBOKASSA takes for a child charge (besides ``Shp_*``, which the plugin does
#: not send), in the order the vendor's SDK sends them.
RECURRING_FIELDS = (
    "OutSum",
    "InvoiceID",
    "PreviousInvoiceID",
    "Description",
    "Receipt",
    "MerchantLogin",
    "SignatureValue",
)
#: Fields the vendor's SDK refuses for a child charge.
FORBIDDEN_FIELDS = ("Recurring", "IncCurrLabel", "ExpirationDate", "IsTest", "Email")

_ACCEPTED = re.compile(r"OK\+?([0-9]{1,19})", re.IGNORECASE)


def recurring_url(host: str) -> str:
    """``Merchant/Recurring`` on a ROBOKASSA host."""
    return f"https://{host}{RECURRING_PATH}"


def php_urlencode(text: str) -> str:
    """PHP's ``urlencode``: spaces as ``+``, everything but ``A-Za-z0-9-_.`` escaped."""
    return quote_plus(text, safe="").replace("~", "%7E")


def php_default_json(receipt: Receipt) -> str:
    """The receipt as PHP's ``json_encode`` writes it with the default flags: non-ASCII as
    ``\\uXXXX`` (lower-case hex, surrogate pairs beyond the BMP) and ``/`` as ``\\/``. Both only
    ever occur inside JSON strings, so escaping them in the compact text is exact."""
    out: list[str] = []
    for char in receipt.to_json():
        code = ord(char)
        if char == "/":
            out.append("\\/")
        elif code < 0x80:
            out.append(char)
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            code -= 0x10000
            out.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
    return "".join(out)


def recurring_receipt_text(receipt: Receipt) -> str:
    """``Receipt`` as it is signed and put in the form of a child charge."""
    return php_urlencode(php_default_json(receipt))


def recurring_signature(
    merchant_login: str,
    out_sum: Decimal | int | str,
    inv_id: int,
    password1: str,
    *,
    receipt: Receipt | None = None,
    algorithm: str = DEFAULT_ALGORITHM,
) -> str:
    """A child charge's signature: ``MerchantLogin:OutSum:InvoiceID[:Receipt]:Password1``."""
    if not merchant_login:
        raise ValueError("MerchantLogin is required")
    if not password1:
        raise ValueError("Password#1 is required")
    parts = [merchant_login, positive_out_sum(out_sum), inv_id_text(inv_id)]
    if receipt is not None:
        parts.append(recurring_receipt_text(receipt))
    parts.append(password1)
    return sign(parts, algorithm)


def positive_out_sum(out_sum: Decimal | int | str) -> str:
    text = format_out_sum(out_sum)
    if Decimal(text) <= 0:
        raise ValueError("a recurring charge's OutSum must be more than 0")
    return text


def recurring_params(
    merchant_login: str,
    out_sum: Decimal | int | str,
    inv_id: int,
    previous_inv_id: int,
    password1: str,
    *,
    description: str = "",
    receipt: Receipt | None = None,
    algorithm: str = DEFAULT_ALGORITHM,
) -> list[tuple[str, str]]:
    """The ordered form fields of a child charge, signed. ``InvoiceID`` must be new (never the
    parent's); a ``Receipt`` must add up to ``OutSum``."""
    if inv_id == previous_inv_id:
        raise ValueError("a child charge needs a new InvoiceID, not the parent's")
    if receipt is not None:
        check_receipt_total(receipt, out_sum)
    signature = recurring_signature(
        merchant_login, out_sum, inv_id, password1, receipt=receipt, algorithm=algorithm
    )
    params = [
        ("OutSum", positive_out_sum(out_sum)),
        ("InvoiceID", inv_id_text(inv_id)),
        ("PreviousInvoiceID", inv_id_text(previous_inv_id)),
    ]
    if description:
        params.append(("Description", description[:DESCRIPTION_MAX_LENGTH]))
    if receipt is not None:
        params.append(("Receipt", recurring_receipt_text(receipt)))
    params += [("MerchantLogin", merchant_login), ("SignatureValue", signature)]
    return params


def recurring_body(params: list[tuple[str, str]]) -> str:
    """The form body as PHP's ``http_build_query`` writes it."""
    return "&".join(f"{php_urlencode(name)}={php_urlencode(value)}" for name, value in params)


def accepted_inv_id(body: str) -> int | None:
    """The InvId of an ``OK<InvoiceID>`` answer (``OK+…`` and any letter case too), or None
    for anything else (``Recurring error``, an HTML page…)."""
    match = _ACCEPTED.fullmatch(body.strip())
    return int(match.group(1)) if match else None


__all__ = [
    "FORBIDDEN_FIELDS",
    "RECURRING_FIELDS",
    "RECURRING_PATH",
    "accepted_inv_id",
    "php_default_json",
    "php_urlencode",
    "recurring_body",
    "recurring_params",
    "recurring_receipt_text",
    "recurring_signature",
    "recurring_url",
]
