"""The fiscal receipt (54-FZ) sent as ``Receipt``: typed values, validation and encoding."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any
from urllib.parse import quote, unquote

from .amounts import json_number, money, to_decimal
from .errors import ReceiptError

NAME_MAX_LENGTH = 128
MAX_ITEMS = 100
MAX_QUANTITY = Decimal("99999.999")


class TaxSystem(StrEnum):
    """``sno``: the shop's taxation system."""

    OSN = "osn"
    USN_INCOME = "usn_income"
    USN_INCOME_OUTCOME = "usn_income_outcome"
    ESN = "esn"
    PATENT = "patent"


class Tax(StrEnum):
    """``tax``: the VAT rate of a line."""

    NONE = "none"
    VAT0 = "vat0"
    VAT5 = "vat5"
    VAT7 = "vat7"
    VAT10 = "vat10"
    VAT20 = "vat20"
    VAT22 = "vat22"
    VAT105 = "vat105"
    VAT107 = "vat107"
    VAT110 = "vat110"
    VAT120 = "vat120"
    VAT122 = "vat122"


class PaymentMethod(StrEnum):
    """``payment_method``: the payment-method attribute of a line."""

    FULL_PREPAYMENT = "full_prepayment"
    PREPAYMENT = "prepayment"
    ADVANCE = "advance"
    FULL_PAYMENT = "full_payment"
    PARTIAL_PAYMENT = "partial_payment"
    CREDIT = "credit"
    CREDIT_PAYMENT = "credit_payment"


class PaymentObject(StrEnum):
    """``payment_object``: what is being sold on a line."""

    COMMODITY = "commodity"
    EXCISE = "excise"
    JOB = "job"
    SERVICE = "service"
    GAMBLING_BET = "gambling_bet"
    GAMBLING_PRIZE = "gambling_prize"
    LOTTERY = "lottery"
    LOTTERY_PRIZE = "lottery_prize"
    INTELLECTUAL_ACTIVITY = "intellectual_activity"
    PAYMENT = "payment"
    AGENT_COMMISSION = "agent_commission"
    COMPOSITE = "composite"
    RESORT_FEE = "resort_fee"
    ANOTHER = "another"
    PROPERTY_RIGHT = "property_right"
    NON_OPERATING_GAIN = "non-operating_gain"
    INSURANCE_PREMIUM = "insurance_premium"
    SALES_TAX = "sales_tax"
    TOVAR_MARK = "tovar_mark"


def _choice(enum: type[StrEnum], value: Any, what: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise ReceiptError(f"{what} {value!r} is not one of: {allowed}") from None


def _receipt_money(value: Any, what: str) -> Decimal:
    try:
        return money(value, what, allow_zero=True)
    except (TypeError, ValueError) as error:
        raise ReceiptError(str(error)) from None


def _quantity(value: Any) -> Decimal:
    try:
        quantity = money(value, "quantity", places=3)
    except (TypeError, ValueError) as error:
        raise ReceiptError(str(error)) from None
    if quantity > MAX_QUANTITY:
        raise ReceiptError(f"quantity {value!r} is more than {MAX_QUANTITY}")
    return quantity.normalize()


@dataclass(frozen=True)
class ReceiptItem:
    """One line of the receipt. ``sum`` is the line total after discounts."""

    name: str
    sum: Decimal
    tax: Tax
    quantity: Decimal = Decimal(1)
    payment_method: PaymentMethod | None = None
    payment_object: PaymentObject | None = None
    cost: Decimal | None = None
    nomenclature_code: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip():
            raise ReceiptError("a receipt line needs a name")
        if len(self.name) > NAME_MAX_LENGTH:
            raise ReceiptError(
                f"receipt line name is {len(self.name)} characters long; "
                f"ROBOKASSA accepts at most {NAME_MAX_LENGTH}"
            )
        set_ = object.__setattr__
        set_(self, "sum", _receipt_money(self.sum, "line sum"))
        set_(self, "quantity", _quantity(self.quantity))
        set_(self, "tax", _choice(Tax, self.tax, "tax"))
        if self.payment_method is not None:
            set_(
                self,
                "payment_method",
                _choice(PaymentMethod, self.payment_method, "payment_method"),
            )
        if self.payment_object is not None:
            set_(
                self,
                "payment_object",
                _choice(PaymentObject, self.payment_object, "payment_object"),
            )
        if self.cost is not None:
            set_(self, "cost", _receipt_money(self.cost, "cost"))
        if self.nomenclature_code is not None and not isinstance(self.nomenclature_code, str):
            raise ReceiptError("nomenclature_code must be a string")

    def json_fields(self) -> list[tuple[str, str]]:
        """``(key, JSON text)`` in the order ROBOKASSA's documentation shows them."""
        fields = [
            ("name", json.dumps(self.name, ensure_ascii=False)),
            ("quantity", json_number(self.quantity)),
            ("sum", json_number(self.sum)),
        ]
        if self.cost is not None:
            fields.append(("cost", json_number(self.cost)))
        if self.payment_method is not None:
            fields.append(("payment_method", json.dumps(self.payment_method.value)))
        if self.payment_object is not None:
            fields.append(("payment_object", json.dumps(self.payment_object.value)))
        fields.append(("tax", json.dumps(self.tax.value)))
        if self.nomenclature_code is not None:
            fields.append(
                ("nomenclature_code", json.dumps(self.nomenclature_code, ensure_ascii=False))
            )
        return fields


def _json_object(fields: Iterable[tuple[str, str]]) -> str:
    return "{" + ",".join(f'"{key}":{value}' for key, value in fields) + "}"


@dataclass(frozen=True)
class Receipt:
    """The whole receipt: one or more lines and, optionally, the taxation system."""

    items: tuple[ReceiptItem, ...]
    sno: TaxSystem | None = None
    _json: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        items = tuple(self.items)
        if not items:
            raise ReceiptError("a receipt needs at least one line")
        if len(items) > MAX_ITEMS:
            raise ReceiptError(f"a receipt has at most {MAX_ITEMS} lines, not {len(items)}")
        if not all(isinstance(item, ReceiptItem) for item in items):
            raise ReceiptError("receipt lines must be ReceiptItem values")
        object.__setattr__(self, "items", items)
        if self.sno is not None:
            object.__setattr__(self, "sno", _choice(TaxSystem, self.sno, "sno"))
        fields: list[tuple[str, str]] = []
        if self.sno is not None:
            fields.append(("sno", json.dumps(self.sno.value)))
        fields.append(("items", "[" + ",".join(_json_object(i.json_fields()) for i in items) + "]"))
        object.__setattr__(self, "_json", _json_object(fields))

    @property
    def total(self) -> Decimal:
        """The sum of the line sums: what ``OutSum`` must equal."""
        return sum((item.sum for item in self.items), Decimal(0))

    def to_json(self) -> str:
        """Compact JSON, non-ASCII kept as is: the exact text that is encoded and signed."""
        return self._json

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (amounts as strings) for storage."""
        data: dict[str, Any] = {}
        if self.sno is not None:
            data["sno"] = self.sno.value
        data["items"] = [
            {
                key: (str(value) if isinstance(value, Decimal) else getattr(value, "value", value))
                for key, value in (
                    ("name", item.name),
                    ("quantity", item.quantity),
                    ("sum", item.sum),
                    ("cost", item.cost),
                    ("payment_method", item.payment_method),
                    ("payment_object", item.payment_object),
                    ("tax", item.tax),
                    ("nomenclature_code", item.nomenclature_code),
                )
                if value is not None
            }
            for item in self.items
        ]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Receipt:
        """Build a receipt from its JSON shape (as ROBOKASSA receives it or ``to_dict`` made it)."""
        if not isinstance(data, Mapping):
            raise ReceiptError("a receipt must be a JSON object")
        raw_items = data.get("items")
        if not isinstance(raw_items, list):
            raise ReceiptError("a receipt needs an 'items' list")
        items = []
        for raw in raw_items:
            if not isinstance(raw, Mapping):
                raise ReceiptError("each receipt line must be a JSON object")
            unknown = set(raw) - _ITEM_KEYS
            if unknown:
                raise ReceiptError("unknown receipt line fields: " + ", ".join(sorted(unknown)))
            if "name" not in raw or "tax" not in raw:
                raise ReceiptError("each receipt line needs 'name' and 'tax'")
            if "sum" not in raw:
                raise ReceiptError("each receipt line needs 'sum'")
            items.append(
                ReceiptItem(
                    name=raw["name"],
                    quantity=_from_json_number(raw.get("quantity", 1), "quantity"),
                    sum=_from_json_number(raw["sum"], "sum"),
                    cost=_from_json_number(raw["cost"], "cost") if "cost" in raw else None,
                    tax=raw["tax"],
                    payment_method=raw.get("payment_method"),
                    payment_object=raw.get("payment_object"),
                    nomenclature_code=raw.get("nomenclature_code"),
                )
            )
        return cls(items=tuple(items), sno=data.get("sno"))


_ITEM_KEYS = frozenset(
    {
        "name",
        "quantity",
        "sum",
        "cost",
        "tax",
        "payment_method",
        "payment_object",
        "nomenclature_code",
    }
)


def _from_json_number(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        raise ReceiptError(f"{what} must be a number")
    try:
        return to_decimal(value, what)
    except (TypeError, ValueError) as error:
        raise ReceiptError(str(error)) from None


def encode_receipt(receipt: Receipt) -> str:
    """The documented form: ``quote(compact_json, safe="")``. Sign and send this very string."""
    return quote(receipt.to_json(), safe="")


def decode_receipt(encoded: str) -> Receipt:
    """Parse a ``Receipt`` value as ROBOKASSA receives it (the URL-encoded JSON)."""
    try:
        data = json.loads(unquote(encoded, errors="strict"), parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as error:
        raise ReceiptError(f"Receipt is not URL-encoded JSON: {error}") from None
    return Receipt.from_dict(data)


def check_receipt_total(receipt: Receipt, out_sum: Decimal | int | str) -> None:
    """Raise ``ReceiptError`` unless the line sums add up to ``OutSum`` exactly."""
    expected = money(out_sum, "OutSum")
    if receipt.total != expected:
        raise ReceiptError(
            f"the receipt lines add up to {receipt.total} but OutSum is {expected}; "
            "ROBOKASSA refuses such a payment"
        )
