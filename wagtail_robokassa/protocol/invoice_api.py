"""ROBOKASSA's Invoice API ("API выставления счетов"): the payloads of ``CreateInvoice``,
``DeactivateInvoice`` and ``GetInvoiceInformationList``, and the reading of their answers.

Each request is one JWT (``protocol.jwt.invoice_api_token``) posted as a JSON string literal.
The payloads are built in the vendor's key order (protocol reference §6.5, §12.1.4): what
ROBOKASSA verifies is the bytes signed, so nothing here reorders or pretty-prints.

The answers' schemas are not published (reference §12.7). The create answer's ``url`` is the one
field every SDK reads; ``id``, ``invId`` and ``encodedId`` are read when present, under either
case. A list answer is searched for its rows under the names seen in third-party code. Anything
else is taken as "not known", never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from enum import StrEnum
from typing import Any
from urllib.parse import urlsplit

from .errors import ReceiptError
from .payment import MAX_INV_ID
from .receipt import Receipt, ReceiptItem

#: The ``Shp_*`` parameter that names the link a payment was made through. ROBOKASSA hands
#: ``UserFields`` back on the Result URL, signed like every other ``Shp_*`` parameter.
LINK_PARAMETER = "Shp_payment_link"

#: ``alg`` names the Invoice API accepts for each of the shop's algorithms (reference §12.1.4);
#: the first is what is sent.
ALG_NAMES: dict[str, tuple[str, ...]] = {
    "md5": ("MD5",),
    "ripemd160": ("RIPEMD160",),
    "sha1": ("SHA1", "HS1"),
    "sha256": ("SHA256", "HS256"),
    "sha384": ("SHA384", "HS384"),
    "sha512": ("SHA512", "HS512"),
}


class InvoiceType(StrEnum):
    """``InvoiceType``: paid once, or by anyone any number of times."""

    ONE_TIME = "OneTime"
    REUSABLE = "Reusable"


class InvoiceState(StrEnum):
    """The states ``GetInvoiceInformationList`` filters and reports (the vendor's spelling)."""

    PAID = "Paid"
    EXPIRED = "Expired"
    NOT_PAID = "Notpaid"


#: Payer-side errors of links (ROBOKASSA's payment page shows them by number).
EXPIRED_CODE, REPEATED_PAYMENT_CODE, NOT_FOUND_CODE = 51, 52, 53


def algorithm_for_alg(alg: str) -> str | None:
    """The shop algorithm a JWT ``alg`` name stands for (``HS256`` → ``sha256``), or None."""
    for algorithm, names in ALG_NAMES.items():
        if alg.upper() in names:
            return algorithm
    return None


def invoice_items(receipt: Receipt) -> list[dict[str, Any]]:
    """A receipt's lines as ``InvoiceItems`` (PascalCase, and ``Cost``, the price of one unit,
    where a receipt has ``sum``, the line's total: reference §12.1.4). A line whose total is not
    its quantity times a price in kopecks cannot be said this way: ``ReceiptError``."""
    return [_invoice_item(item) for item in receipt.items]


def _invoice_item(item: ReceiptItem) -> dict[str, Any]:
    cost = item.cost if item.cost is not None else item.sum / item.quantity
    if cost != cost.quantize(Decimal("0.01"), rounding=ROUND_DOWN) or cost * item.quantity != (
        item.sum
    ):
        raise ReceiptError(
            f"the line {item.name!r} costs {item.sum} for {item.quantity}: a payment link needs "
            "a price per unit in kopecks"
        )
    line: dict[str, Any] = {
        "Name": item.name,
        "Quantity": item.quantity,
        "Cost": cost,
        "Tax": item.tax.value,
    }
    if item.payment_method is not None:
        line["PaymentMethod"] = item.payment_method.value
    if item.payment_object is not None:
        line["PaymentObject"] = item.payment_object.value
    if item.nomenclature_code is not None:
        line["NomenclatureCode"] = item.nomenclature_code
    return line


def create_payload(
    merchant_login: str,
    *,
    inv_id: int,
    out_sum: Decimal,
    invoice_type: InvoiceType = InvoiceType.ONE_TIME,
    culture: str = "ru",
    description: str = "",
    merchant_comments: str = "",
    items: Sequence[Mapping[str, Any]] = (),
    user_fields: Mapping[str, str] | None = None,
    is_test: bool = False,
) -> dict[str, Any]:
    """``CreateInvoice``'s payload, keys in the vendor's order. A test link carries
    ``AdditionalParameters.IsTest`` as the vendor's SDK sends it (what ROBOKASSA does with it is
    not documented: reference §12.1.4)."""
    if isinstance(inv_id, bool) or not isinstance(inv_id, int) or not 1 <= inv_id <= MAX_INV_ID:
        raise ValueError(f"InvId must be between 1 and {MAX_INV_ID}")
    if not isinstance(out_sum, Decimal) or not out_sum.is_finite() or out_sum <= 0:
        raise ValueError("OutSum must be a positive Decimal")
    payload: dict[str, Any] = {
        "MerchantLogin": merchant_login,
        "InvoiceType": InvoiceType(invoice_type).value,
        "Culture": culture,
        "InvId": inv_id,
        "OutSum": out_sum,
    }
    optional: tuple[tuple[str, Any], ...] = (
        ("Description", description),
        ("MerchantComments", merchant_comments),
        ("InvoiceItems", [dict(item) for item in items]),
        ("UserFields", dict(user_fields or {})),
    )
    payload.update((key, value) for key, value in optional if value)
    if is_test:
        payload["AdditionalParameters"] = {"IsTest": "1"}
    return payload


def deactivate_payload(
    merchant_login: str,
    *,
    encoded_id: str = "",
    invoice_id: str = "",
    inv_id: int | None = None,
) -> dict[str, Any]:
    """``DeactivateInvoice``'s payload: the login and one of the link's three names (the
    encoded id, the last part of the link, is preferred: it names the link and nothing else)."""
    if encoded_id:
        return {"MerchantLogin": merchant_login, "EncodedId": encoded_id}
    if invoice_id:
        return {"MerchantLogin": merchant_login, "Id": invoice_id}
    if inv_id is not None:
        return {"MerchantLogin": merchant_login, "InvId": inv_id}
    raise ValueError("say which link: its encoded id, its id or its InvId")


def list_payload(
    merchant_login: str,
    *,
    date_from: date | datetime,
    date_to: date | datetime,
    states: Sequence[InvoiceState] = tuple(InvoiceState),
    types: Sequence[InvoiceType] = tuple(InvoiceType),
    page: int = 1,
    page_size: int = 100,
    keywords: str = "",
) -> dict[str, Any]:
    """``GetInvoiceInformationList``'s payload: the six required filters in the vendor's order,
    values spelt as the vendor normalises them (``Paid``, ``OneTime``)."""
    if page < 1 or not 1 <= page_size <= 1000:
        raise ValueError("pages start at 1 and hold 1 to 1000 rows")
    payload: dict[str, Any] = {
        "MerchantLogin": merchant_login,
        "CurrentPage": page,
        "PageSize": page_size,
        "InvoiceStatuses": [InvoiceState(state).value for state in states],
        "DateFrom": date_from.isoformat(),
        "DateTo": date_to.isoformat(),
        "InvoiceTypes": [InvoiceType(kind).value for kind in types],
    }
    if keywords:
        payload["Keywords"] = keywords
    return payload


@dataclass(frozen=True)
class CreatedLink:
    """What ``CreateInvoice`` answered: the link, and ROBOKASSA's names for it."""

    url: str
    invoice_id: str = ""
    encoded_id: str = ""
    inv_id: int | None = None


@dataclass(frozen=True)
class ListedLink:
    """One row of ``GetInvoiceInformationList``: only what could be read with certainty."""

    inv_id: int | None
    invoice_id: str
    encoded_id: str
    state: InvoiceState | None
    out_sum: Decimal | None
    url: str = ""


def _field(answer: Mapping[str, Any], *names: str) -> Any:
    """The first of ``names`` present, in any letter case."""
    folded = {key.lower(): value for key, value in answer.items() if isinstance(key, str)}
    for name in names:
        if name.lower() in folded:
            return folded[name.lower()]
    return None


_ENCODED_ID = re.compile(r"[A-Za-z0-9_\-]{1,200}\Z")


def _text(value: Any, limit: int = 200) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _inv_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return value if isinstance(value, int) and 1 <= value <= MAX_INV_ID else None


def link_url_is_trusted(url: str, allowed_hosts: Sequence[str]) -> bool:
    """Whether ``url`` is an http(s) link on one of ``allowed_hosts`` (a link from an answer is
    shown to customers: it must lead to ROBOKASSA and nowhere else)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return (
        parts.scheme in ("https", "http")
        and (parts.hostname or "").lower() in {host.lower() for host in allowed_hosts}
        and not parts.username
        and not parts.password
        and len(url) <= 500
        and not any(ord(char) < 33 for char in url)
    )


def parse_created(answer: Mapping[str, Any]) -> CreatedLink | None:
    """The link a ``CreateInvoice`` answer gives, or None when it gives none (``isSuccess``
    false, or no ``url``). The encoded id, when the answer lacks it, is the link's last part."""
    url = _field(answer, "url", "invoiceUrl", "link")
    if _field(answer, "isSuccess", "success") is False or not isinstance(url, str) or not url:
        return None
    encoded = _text(_field(answer, "encodedId"))
    if not encoded:
        encoded = url.rstrip("/").rsplit("/", 1)[-1]
    return CreatedLink(
        url=url,
        invoice_id=_text(_field(answer, "id", "invoiceId")),
        encoded_id=encoded if _ENCODED_ID.match(encoded) else "",
        inv_id=_inv_id(_field(answer, "invId", "invoiceNumber")),
    )


def error_message(answer: Mapping[str, Any]) -> str:
    """ROBOKASSA's own words for a refusal, shortened; empty when it gave none."""
    for name in ("errorMessage", "message", "error", "errors"):
        value = _field(answer, name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:300]
        if isinstance(value, list) and value:
            return "; ".join(str(item) for item in value[:5])[:300]
    return ""


def parse_listed(answer: Any) -> list[ListedLink] | None:
    """The rows of a ``GetInvoiceInformationList`` answer, or None when none can be found."""
    rows = answer
    if isinstance(answer, Mapping):
        rows = _field(answer, "items", "invoices", "data", "invoiceInformationList", "result")
        if isinstance(rows, Mapping):  # a page object around the rows
            rows = _field(rows, "items", "invoices", "data")
    if not isinstance(rows, list):
        return None
    return [_listed(row) for row in rows[:1000] if isinstance(row, Mapping)]


def _listed(row: Mapping[str, Any]) -> ListedLink:
    state = _field(row, "status", "state", "invoiceStatus")
    known = {value.lower(): value for value in InvoiceState}
    amount = _field(row, "outSum", "sum", "amount")
    return ListedLink(
        inv_id=_inv_id(_field(row, "invId", "invoiceNumber")),
        invoice_id=_text(_field(row, "id", "invoiceId")),
        encoded_id=_text(_field(row, "encodedId")),
        state=InvoiceState(known[state.lower()])
        if isinstance(state, str) and (state.lower() in known)
        else None,
        out_sum=_amount(amount),
        url=_text(_field(row, "url", "invoiceUrl", "link"), 500),
    )


def _amount(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


__all__ = [
    "ALG_NAMES",
    "EXPIRED_CODE",
    "LINK_PARAMETER",
    "NOT_FOUND_CODE",
    "REPEATED_PAYMENT_CODE",
    "CreatedLink",
    "InvoiceState",
    "InvoiceType",
    "ListedLink",
    "algorithm_for_alg",
    "create_payload",
    "deactivate_payload",
    "error_message",
    "invoice_items",
    "link_url_is_trusted",
    "list_payload",
    "parse_created",
    "parse_listed",
]
