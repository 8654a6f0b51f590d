"""Requests from ROBOKASSA: Result URL (Password#2), Success URL (Password#1), Fail URL."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .amounts import MAX_INTEGER_DIGITS
from .errors import MalformedCallback
from .limits import MAX_CALLBACK_PARAMS, MAX_NAME_LENGTH, MAX_VALUE_LENGTH
from .payment import MAX_INV_ID
from .shp import (
    ShpInput,
    bare_shp_name,
    has_separator,
    is_shp_name,
    shp_parts,
    signing_orders,
)
from .signing import DEFAULT_ALGORITHM, HEX_DIGEST_LENGTHS, sign, signatures_match

#: Legacy duplicates of OutSum, InvId and SignatureValue that ROBOKASSA still sends.
LEGACY_PARAMS = frozenset({"out_summ", "inv_id", "crc"})

_AMOUNT = re.compile(rf"[0-9]{{1,{MAX_INTEGER_DIGITS + 1}}}(?:\.[0-9]{{1,10}})?\Z")
_INV_ID = re.compile(r"[0-9]{1,10}\Z")
_HEX = re.compile(r"[0-9A-Fa-f]+\Z")
_SIGNATURE_LENGTHS = frozenset(HEX_DIGEST_LENGTHS.values())

# Lower-case names of the fields we read (ROBOKASSA spells e-mail "EMail" on the wire).
_KNOWN = {
    "outsum": "OutSum",
    "invid": "InvId",
    "signaturevalue": "SignatureValue",
    "istest": "IsTest",
    "fee": "Fee",
    "email": "EMail",
    "paymentmethod": "PaymentMethod",
    "inccurrlabel": "IncCurrLabel",
    "incsum": "IncSum",
    "culture": "Culture",
}


@dataclass(frozen=True)
class Callback:
    """A parsed request from ROBOKASSA. Nothing in it is trusted until verified."""

    out_sum_raw: str
    out_sum: Decimal
    inv_id: int
    inv_id_raw: str
    signature: str
    is_test: bool
    shp: tuple[tuple[str, str], ...]
    fee: Decimal | None
    inc_sum: Decimal | None
    email: str
    payment_method: str
    inc_curr_label: str
    culture: str
    params: tuple[tuple[str, str], ...]

    def unsigned_params(self) -> dict[str, str]:
        """Every received parameter except the signature and its legacy copy (for records)."""
        return {
            name: value
            for name, value in self.params
            if name.lower() not in ("signaturevalue", "crc")
        }

    @property
    def extra(self) -> dict[str, str]:
        """User parameters by bare name (``Shp_order`` → ``order``), as in django-robokassa."""
        return {bare_shp_name(name): value for name, value in self.shp}


def _named_values(params: Any) -> Iterable[Any]:
    if hasattr(params, "lists") and callable(params.lists):
        lists: Iterable[Any] = params.lists()  # a QueryDict's
        return lists
    if isinstance(params, Mapping):
        return params.items()
    if isinstance(params, list | tuple):
        return params
    raise MalformedCallback("bad_shape", "the parameters are not a mapping")


def _flatten(params: Any) -> list[tuple[str, str]]:
    """``(name, value)`` pairs from a QueryDict, a ``parse_qs`` dict, a dict or a list of pairs."""
    pairs: list[tuple[str, str]] = []
    for item in _named_values(params):
        if not isinstance(item, tuple | list) or len(item) != 2:
            raise MalformedCallback("bad_shape", "the parameters are not name/value pairs")
        name, values = item
        if isinstance(values, str):
            values = [values]
        if not isinstance(name, str) or not isinstance(values, list | tuple):
            raise MalformedCallback("bad_shape", "parameter names and values must be text")
        for value in values:
            if not isinstance(value, str):
                raise MalformedCallback("bad_shape", "parameter values must be text")
            pairs.append((name, value))
    return pairs


def _check_sizes(pairs: list[tuple[str, str]]) -> None:
    if len(pairs) > MAX_CALLBACK_PARAMS:
        raise MalformedCallback("too_many", f"more than {MAX_CALLBACK_PARAMS} parameters")
    for name, value in pairs:
        if len(name) > MAX_NAME_LENGTH:
            raise MalformedCallback("too_long", "a parameter name is too long")
        if len(value) > MAX_VALUE_LENGTH:
            raise MalformedCallback("too_long", f"parameter {name!r} is too long")


def _index(pairs: list[tuple[str, str]]) -> dict[str, str]:
    seen: dict[str, str] = {}
    for name, value in pairs:
        key = name.lower()
        if key in seen:
            raise MalformedCallback("repeated", f"parameter {name!r} is repeated")
        seen[key] = value
    return seen


def _optional_decimal(value: str | None) -> Decimal | None:
    """Unsigned informational amounts (Fee, IncSum): never a reason to refuse a payment."""
    if value is None or not _AMOUNT.match(value):
        return None
    return Decimal(value)


def parse_callback(params: Any, *, signed: bool = True) -> Callback:
    """Parse a ROBOKASSA request; raise ``MalformedCallback`` for anything that does not fit.

    ``params`` is a QueryDict, a ``parse_qs`` result, a plain mapping or a list of pairs.
    ``signed=False`` is for the Fail URL, which carries no ``SignatureValue``.
    """
    pairs = _flatten(params)
    _check_sizes(pairs)
    indexed = _index(pairs)

    def field(key: str, required: bool = False) -> str | None:
        value = indexed.get(key)
        if value is None and required:
            raise MalformedCallback("missing", f"{_KNOWN[key]} is missing")
        return value

    out_sum_raw = field("outsum", required=True) or ""
    if not _AMOUNT.match(out_sum_raw):
        raise MalformedCallback("bad_out_sum", "OutSum is not a plain positive decimal number")
    out_sum = Decimal(out_sum_raw)
    if out_sum <= 0:
        raise MalformedCallback("bad_out_sum", "OutSum must be greater than zero")

    inv_id_raw = field("invid", required=True) or ""
    if not _INV_ID.match(inv_id_raw) or not 1 <= int(inv_id_raw) <= MAX_INV_ID:
        raise MalformedCallback("bad_inv_id", f"InvId must be an integer from 1 to {MAX_INV_ID}")

    signature = field("signaturevalue", required=signed) or ""
    if signed and (not _HEX.match(signature) or len(signature) not in _SIGNATURE_LENGTHS):
        raise MalformedCallback("bad_signature_format", "SignatureValue is not a hex digest")

    is_test_raw = field("istest") or "0"
    if is_test_raw not in ("0", "1"):
        raise MalformedCallback("bad_is_test", "IsTest must be 1, 0 or empty")

    shp = tuple(
        (name, value)
        for name, value in pairs
        if is_shp_name(name) and name.lower() not in LEGACY_PARAMS
    )
    if any(has_separator(name) for name, _value in shp):
        raise MalformedCallback("bad_shp_name", "a Shp parameter name holds ':' or '='")
    return Callback(
        out_sum_raw=out_sum_raw,
        out_sum=out_sum,
        inv_id=int(inv_id_raw),
        inv_id_raw=inv_id_raw,
        signature=signature,
        is_test=is_test_raw == "1",
        shp=shp,
        fee=_optional_decimal(field("fee")),
        inc_sum=_optional_decimal(field("incsum")),
        email=field("email") or "",
        payment_method=field("paymentmethod") or "",
        inc_curr_label=field("inccurrlabel") or "",
        culture=field("culture") or "",
        params=tuple(pairs),
    )


def _amount_text(out_sum: Decimal | int | str) -> str:
    if isinstance(out_sum, float | bool):
        raise TypeError("OutSum must be the received string, a Decimal or an int")
    if isinstance(out_sum, Decimal):
        return f"{out_sum:f}"
    return str(out_sum)


def _callback_signature(
    out_sum: Decimal | int | str, inv_id: int | str, password: str, shp: ShpInput, algorithm: str
) -> str:
    order = signing_orders(shp)[0]
    return sign([_amount_text(out_sum), str(inv_id), password, *shp_parts(order)], algorithm)


def result_signature(
    out_sum: Decimal | int | str,
    inv_id: int | str,
    password2: str,
    *,
    shp: ShpInput = None,
    algorithm: str = DEFAULT_ALGORITHM,
) -> str:
    """``SignatureValue`` of a Result URL request: ``OutSum:InvId:Password2[:Shp_*]``."""
    return _callback_signature(out_sum, inv_id, password2, shp, algorithm)


def success_signature(
    out_sum: Decimal | int | str,
    inv_id: int | str,
    password1: str,
    *,
    shp: ShpInput = None,
    algorithm: str = DEFAULT_ALGORITHM,
) -> str:
    """``SignatureValue`` of a Success URL redirect: ``OutSum:InvId:Password1[:Shp_*]``."""
    return _callback_signature(out_sum, inv_id, password1, shp, algorithm)


def _signed_with(callback: Callback, password: str, algorithm: str) -> bool:
    if not callback.signature or not password:
        return False
    matched = False
    for order in signing_orders(callback.shp):
        expected = sign(
            [callback.out_sum_raw, callback.inv_id_raw, password, *shp_parts(order)], algorithm
        )
        matched |= signatures_match(expected, callback.signature)
    return matched


def is_signed_result(
    callback: Callback, password2: str, algorithm: str = DEFAULT_ALGORITHM
) -> bool:
    """Whether a Result URL request was signed with Password#2 (constant time, any case)."""
    return _signed_with(callback, password2, algorithm)


def is_signed_success(
    callback: Callback, password1: str, algorithm: str = DEFAULT_ALGORITHM
) -> bool:
    """Whether a Success URL redirect was signed with Password#1 (constant time, any case)."""
    return _signed_with(callback, password1, algorithm)
