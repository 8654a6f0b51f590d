"""Checking a payment request the way ROBOKASSA does, with errors that say which part failed."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote

from django.utils.translation import gettext as _

from ...conf import MerchantConfig
from ...protocol import (
    DESCRIPTION_MAX_LENGTH,
    HASH_ALGORITHMS,
    MAX_INV_ID,
    Receipt,
    ReceiptError,
    UnsupportedAlgorithm,
    decode_receipt,
    is_shp_name,
    sign,
    signatures_match,
)

_OUT_SUM = re.compile(r"[0-9]{1,8}(?:\.[0-9]{1,2})?\Z")
_INV_ID = re.compile(r"[0-9]{1,10}\Z")
#: Optional signed parts, in the order of protocol reference §2.2 (pairs go together).
SIGNED_OPTIONAL = (
    ("OutSumCurrency",),
    ("UserIp",),
    ("Receipt",),
    ("StepByStep",),
    ("ResultUrl2",),
    ("SuccessUrl2", "SuccessUrl2Method"),
    ("FailUrl2", "FailUrl2Method"),
)


@dataclass
class PaymentRequest:
    """A payment request that passed every check."""

    login: str
    out_sum: Decimal
    inv_id: int | None
    description: str
    email: str
    culture: str
    shp: dict[str, str]
    receipt: Receipt | None
    params: dict[str, str] = field(default_factory=dict)
    recurring: bool = False
    step_by_step: bool = False
    result_url2: str = ""


class InvalidRequest(Exception):
    def __init__(self, errors: list[str]) -> None:
        super().__init__("; ".join(errors))
        self.errors = errors


def storable_json(value: Any) -> bool:
    """Whether ``value`` can be kept in a JSON column on every database (PostgreSQL refuses
    the NUL character, and text that is not UTF-8)."""
    import json

    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
        text.encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError):
        return False
    return "\\u0000" not in text


def is_inv_id(text: str) -> bool:
    """ASCII digits within ROBOKASSA's range (``str.isdigit`` also takes superscripts and other
    scripts' digits)."""
    return bool(_INV_ID.match(text)) and 0 < int(text) <= MAX_INV_ID


def flatten(data: Any) -> tuple[dict[str, str], list[str]]:
    """One value per name, and the names that were repeated."""
    values: dict[str, str] = {}
    repeated = []
    for name, items in data.lists():
        if len(items) > 1:
            repeated.append(name)
        values[name] = items[-1]
    return values, repeated


def base_string_shape(values: dict[str, str], shp: list[str]) -> str:
    """The base string ROBOKASSA hashes for these fields, with names instead of values."""
    parts = ["MerchantLogin", "OutSum", "InvId"]
    for group in SIGNED_OPTIONAL:
        if values.get(group[0]):
            parts += ["true" if group[0] == "StepByStep" else name for name in group]
    parts.append(_("Password#1 (test)"))
    parts += [f"{name}=…" for name in shp]
    return ":".join(parts)


def _signature(values: dict[str, str], shp: list[str], password: str, algorithm: str) -> str:
    parts = [values.get("MerchantLogin", ""), values.get("OutSum", ""), values.get("InvId", "")]
    for group in SIGNED_OPTIONAL:
        if values.get(group[0]):
            parts += [values.get(name, "") for name in group]
    parts.append(password)
    parts += [f"{name}={values[name]}" for name in shp]
    return sign(parts, algorithm)


def signature_hint(values: dict[str, str], shp: list[str], config: MerchantConfig) -> str:
    """Which common mistake the received signature matches: the Receipt signed URL-encoded once
    more or not at all, the live Password#1, another hash algorithm (never a password)."""
    received = values.get("SignatureValue", "")
    receipt = values.get("Receipt", "")
    receipts = {"": receipt}
    if receipt:
        receipts["encoded"] = quote(receipt, safe="")
        receipts["raw"] = unquote(receipt)
    passwords = {"test": config.test_password1, "live": config.password1}
    for (receipt_way, receipt_value), (pair, password), algorithm in itertools.product(
        receipts.items(), passwords.items(), HASH_ALGORITHMS
    ):
        if not password or (receipt_way, pair, algorithm) == ("", "test", config.algorithm):
            continue
        candidate = {**values, "Receipt": receipt_value} if receipt else values
        try:
            signature = _signature(candidate, shp, password, algorithm)
        except UnsupportedAlgorithm:  # not in this Python's hashlib
            continue
        if signatures_match(signature, received):
            return _hint_text(receipt_way, pair, algorithm, config.algorithm)
    return ""


def _hint_text(receipt_way: str, pair: str, algorithm: str, configured: str) -> str:
    reasons = []
    if receipt_way == "encoded":
        reasons.append(_("the Receipt was URL-encoded once more for the signature than when sent"))
    if receipt_way == "raw":
        reasons.append(_("the Receipt was signed decoded, but it is sent URL-encoded"))
    if pair == "live":
        reasons.append(_("it was signed with the live Password#1 instead of the test one"))
    if algorithm != configured:
        reasons.append(
            _("it was hashed with %(used)s, but the shop is set to %(set)s")
            % {"used": algorithm, "set": configured}
        )
    return _("The signature matches if: %(reasons)s.") % {"reasons": "; ".join(reasons)}


def validate(data: Any, config: MerchantConfig) -> PaymentRequest:
    """Raise ``InvalidRequest`` listing every problem, or return the request."""
    values, repeated = flatten(data)
    errors = [_("Parameter %(name)s is repeated.") % {"name": name} for name in repeated]
    errors += [
        _("Parameter %(name)s holds a NUL character.") % {"name": name.replace("\x00", "\\0")}
        for name, value in values.items()
        if "\x00" in name or "\x00" in value
    ]
    login = values.get("MerchantLogin", "")
    if login != config.login:
        errors.append(
            _("Unknown MerchantLogin %(login)r: this emulator serves the shop %(shop)r.")
            % {"login": login, "shop": config.login}
        )
    if values.get("IsTest") != "1":
        errors.append(_("The emulator takes test payments only: send IsTest=1."))
    out_sum = values.get("OutSum", "")
    if not _OUT_SUM.match(out_sum) or Decimal(out_sum) <= 0:
        errors.append(
            _("OutSum %(value)r is not a positive amount with a dot and at most two decimals.")
            % {"value": out_sum[:20]}
        )
    inv_id_text = values.get("InvId", "")
    if inv_id_text and not is_inv_id(inv_id_text):
        errors.append(_("InvId must be an integer from 1 to %(max)s.") % {"max": MAX_INV_ID})
    description = values.get("Description", "")
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors.append(_("Description is longer than 100 characters."))
    receipt = None
    if values.get("Receipt"):
        try:
            receipt = decode_receipt(values["Receipt"])
        except ReceiptError as error:
            errors.append(_("Receipt: %(error)s") % {"error": error})
        else:
            if _OUT_SUM.match(out_sum) and receipt.total != Decimal(out_sum):
                errors.append(
                    _("Receipt lines add up to %(total)s, not OutSum %(out_sum)s.")
                    % {"total": receipt.total, "out_sum": out_sum}
                )
    recurring = values.get("Recurring", "")
    if recurring and recurring.lower() != "true":
        errors.append(_("Error 35: wrong parameters for a recurring payment (Recurring=true)."))
    elif recurring and not config.recurring_enabled:
        errors.append(_("Error 34: recurring payments are not enabled for this shop."))
    step_by_step = values.get("StepByStep", "")
    if step_by_step and (step_by_step != "true" or recurring):
        errors.append(_("Error 65: wrong parameters for a hold (StepByStep=true, no Recurring)."))
    elif step_by_step and not config.holds_enabled:
        errors.append(_("Error 64: holds are not enabled for this shop."))
    result_url2 = values.get("ResultUrl2", "")
    if result_url2 and not result_url2.startswith(("http://", "https://")):
        errors.append(_("Error 30: ResultUrl2 must be an http(s) address."))
    shp = sorted(name for name in values if is_shp_name(name))
    password = config.test_password1
    if not password:
        errors.append(_("The shop has no test Password#1: the emulator cannot check signatures."))
    else:
        try:
            expected = _signature(values, shp, password, config.algorithm)
        except UnsupportedAlgorithm as error:
            errors.append(str(error))
        else:
            if not signatures_match(expected, values.get("SignatureValue", "")):
                errors.append(
                    _(
                        "SignatureValue does not match. ROBOKASSA hashes (%(algorithm)s) the "
                        "fields exactly as received, in this shape: %(shape)s"
                    )
                    % {"algorithm": config.algorithm, "shape": base_string_shape(values, shp)}
                )
                hint = signature_hint(values, shp, config)
                if hint:
                    errors.append(hint)
    if errors:
        raise InvalidRequest(errors)
    return PaymentRequest(
        login=login,
        out_sum=Decimal(out_sum),
        inv_id=int(inv_id_text) if inv_id_text else None,
        description=description,
        email=values.get("Email", ""),
        culture=values.get("Culture", ""),
        shp={name: values[name] for name in shp},
        receipt=receipt,
        params=values,
        recurring=bool(recurring),
        step_by_step=bool(step_by_step),
        result_url2=result_url2,
    )
