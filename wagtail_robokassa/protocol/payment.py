"""Starting a payment: the signature and the fields for ``Merchant/Index.aspx``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from urllib.parse import urlencode

from .amounts import format_out_sum
from .receipt import Receipt, check_receipt_total, encode_receipt
from .shp import ShpInput, outgoing_shp, shp_parts
from .signing import DEFAULT_ALGORITHM, sign

HOSTS: dict[str, str] = {"ru": "auth.robokassa.ru", "kz": "auth.robokassa.kz"}
PAYMENT_PATH = "/Merchant/Index.aspx"
PAYMENT_URL = f"https://{HOSTS['ru']}{PAYMENT_PATH}"
MAX_INV_ID = 2**31 - 1
DESCRIPTION_MAX_LENGTH = 100
REDIRECT_METHODS = ("GET", "POST")


def payment_page_url(host: str = HOSTS["ru"]) -> str:
    """The payment page on a ROBOKASSA host (``auth.robokassa.ru`` or ``auth.robokassa.kz``)."""
    return f"https://{host}{PAYMENT_PATH}"


def inv_id_text(inv_id: int | None) -> str:
    """``InvId`` as sent and signed; ``None`` leaves the documented empty slot."""
    if inv_id is None:
        return ""
    if isinstance(inv_id, bool) or not isinstance(inv_id, int):
        raise TypeError(f"InvId must be an int or None, not {type(inv_id).__name__}")
    if not 1 <= inv_id <= MAX_INV_ID:
        raise ValueError(f"InvId must be between 1 and {MAX_INV_ID}, not {inv_id}")
    return str(inv_id)


def required_text(value: str, what: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} is required")
    return value


def _redirect_method(method: str | None, what: str) -> str:
    normalized = (method or "").upper()
    if normalized not in REDIRECT_METHODS:
        raise ValueError(f"{what} must be GET or POST, not {method!r}")
    return normalized


def _receipt_text(receipt: Receipt | str) -> str:
    return encode_receipt(receipt) if isinstance(receipt, Receipt) else receipt


def payment_signature(
    merchant_login: str,
    out_sum: Decimal | int | str,
    inv_id: int | None,
    password1: str,
    *,
    out_sum_currency: str | None = None,
    user_ip: str | None = None,
    receipt: Receipt | str | None = None,
    step_by_step: bool = False,
    result_url2: str | None = None,
    success_url2: str | None = None,
    success_url2_method: str | None = None,
    fail_url2: str | None = None,
    fail_url2_method: str | None = None,
    shp: ShpInput = None,
    algorithm: str = DEFAULT_ALGORITHM,
) -> str:
    """``SignatureValue`` for a payment (protocol reference §2.2).

    ``MerchantLogin:OutSum:InvId[:OutSumCurrency][:UserIp][:Receipt][:true][:ResultUrl2]
    [:SuccessUrl2:SuccessUrl2Method][:FailUrl2:FailUrl2Method]:Password1[:Shp_*]``. Optional parts
    appear only when given; URLs are signed raw. A ``Receipt`` value is encoded the documented way;
    a string is taken as already encoded.
    """
    parts = [
        required_text(merchant_login, "MerchantLogin"),
        format_out_sum(out_sum),
        inv_id_text(inv_id),
    ]
    if out_sum_currency:
        parts.append(out_sum_currency)
    if user_ip:
        parts.append(user_ip)
    if receipt is not None:
        parts.append(_receipt_text(receipt))
    if step_by_step:
        parts.append("true")
    if result_url2:
        parts.append(result_url2)
    if success_url2:
        parts += [success_url2, _redirect_method(success_url2_method, "SuccessUrl2Method")]
    elif success_url2_method:
        raise ValueError("SuccessUrl2Method is given without SuccessUrl2")
    if fail_url2:
        parts += [fail_url2, _redirect_method(fail_url2_method, "FailUrl2Method")]
    elif fail_url2_method:
        raise ValueError("FailUrl2Method is given without FailUrl2")
    parts.append(required_text(password1, "Password#1"))
    parts += shp_parts(outgoing_shp(shp))
    return sign(parts, algorithm)


def format_expiration_date(value: datetime | str) -> str:
    """``ExpirationDate`` in ISO 8601 with the UTC offset; naive datetimes are refused."""
    if isinstance(value, str):
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("ExpirationDate must be an aware datetime (with a time zone)")
    return value.isoformat(timespec="seconds")


def payment_params(
    merchant_login: str,
    out_sum: Decimal | int | str,
    inv_id: int | None,
    password1: str,
    *,
    description: str = "",
    is_test: bool = False,
    culture: str | None = None,
    email: str | None = None,
    inc_curr_label: str | None = None,
    expiration_date: datetime | str | None = None,
    out_sum_currency: str | None = None,
    user_ip: str | None = None,
    receipt: Receipt | str | None = None,
    step_by_step: bool = False,
    result_url2: str | None = None,
    success_url2: str | None = None,
    success_url2_method: str | None = None,
    fail_url2: str | None = None,
    fail_url2_method: str | None = None,
    recurring: bool = False,
    shp: ShpInput = None,
    algorithm: str = DEFAULT_ALGORITHM,
) -> list[tuple[str, str]]:
    """The ordered form fields for ``Merchant/Index.aspx``, signed.

    ``Description`` is cut to 100 characters; a ``Receipt`` must add up to ``OutSum``;
    ``IsTest=1`` is sent only in test mode; ``Shp_*`` come last, sorted. ``recurring`` sends
    ``Recurring=true`` (unsigned): the parent payment of later child charges.
    """
    if isinstance(receipt, Receipt):
        check_receipt_total(receipt, out_sum)
    shp_pairs = outgoing_shp(shp)
    signature = payment_signature(
        merchant_login,
        out_sum,
        inv_id,
        password1,
        out_sum_currency=out_sum_currency,
        user_ip=user_ip,
        receipt=receipt,
        step_by_step=step_by_step,
        result_url2=result_url2,
        success_url2=success_url2,
        success_url2_method=success_url2_method,
        fail_url2=fail_url2,
        fail_url2_method=fail_url2_method,
        shp=shp_pairs,
        algorithm=algorithm,
    )
    params = [("MerchantLogin", merchant_login), ("OutSum", format_out_sum(out_sum))]
    if inv_id is not None:
        params.append(("InvId", inv_id_text(inv_id)))
    if description:
        params.append(("Description", description[:DESCRIPTION_MAX_LENGTH]))
    params += [("SignatureValue", signature), ("Encoding", "utf-8")]
    optional = [
        ("Culture", culture),
        ("Email", email),
        ("IncCurrLabel", inc_curr_label),
        ("ExpirationDate", format_expiration_date(expiration_date) if expiration_date else None),
        ("OutSumCurrency", out_sum_currency),
        ("UserIp", user_ip),
        ("Receipt", _receipt_text(receipt) if receipt is not None else None),
        ("StepByStep", "true" if step_by_step else None),
        ("ResultUrl2", result_url2),
        ("SuccessUrl2", success_url2),
        (
            "SuccessUrl2Method",
            _redirect_method(success_url2_method, "SuccessUrl2Method") if success_url2 else None,
        ),
        ("FailUrl2", fail_url2),
        (
            "FailUrl2Method",
            _redirect_method(fail_url2_method, "FailUrl2Method") if fail_url2 else None,
        ),
        ("Recurring", "true" if recurring else None),
        ("IsTest", "1" if is_test else None),
    ]
    params += [(name, value) for name, value in optional if value]
    params += shp_pairs
    return params


def payment_url(base_url: str, params: list[tuple[str, str]]) -> str:
    """The GET variant: ``base_url?…``. ``Receipt`` ends up encoded twice, as §4.2 requires."""
    separator = "&" if "?" in base_url else "?"
    return base_url + separator + urlencode(params)
