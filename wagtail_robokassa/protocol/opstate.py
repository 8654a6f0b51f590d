"""``OpStateExt``: asking ROBOKASSA for the state of an operation, and reading its XML answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from enum import IntEnum
from typing import NoReturn
from xml.parsers import expat

from .errors import OpStateError
from .payment import HOSTS
from .signing import DEFAULT_ALGORITHM, sign

OPSTATE_PATH = "/Merchant/WebService/Service.asmx/OpStateExt"
OPSTATE_URL = f"https://{HOSTS['ru']}{OPSTATE_PATH}"
MAX_RESPONSE_BYTES = 1_000_000


class OpStateResult(IntEnum):
    """``Result/Code`` of an XML interface answer."""

    UNKNOWN = -1
    OK = 0
    BAD_SIGNATURE = 1
    SHOP_NOT_FOUND = 2
    NOT_FOUND = 3
    AMBIGUOUS = 4
    INTERNAL_ERROR = 1000

    @classmethod
    def _missing_(cls, value: object) -> OpStateResult:
        return cls.UNKNOWN


class OperationState(IntEnum):
    """``State/Code``: where the operation is."""

    UNKNOWN = -1
    INITIATED = 5
    CANCELLED = 10
    HOLD = 20
    PROCESSING = 50
    RETURNED = 60
    SUSPENDED = 80
    PAID = 100

    @classmethod
    def _missing_(cls, value: object) -> OperationState:
        return cls.UNKNOWN


def opstate_signature(
    merchant_login: str, inv_id: int | str, password2: str, *, algorithm: str = DEFAULT_ALGORITHM
) -> str:
    """``Signature`` of an OpStateExt request: ``MerchantLogin:InvoiceID:Password2``."""
    return sign([merchant_login, str(inv_id), password2], algorithm)


def opstate_request(
    merchant_login: str, inv_id: int, password2: str, *, algorithm: str = DEFAULT_ALGORITHM
) -> list[tuple[str, str]]:
    """The form fields of an OpStateExt request (send them to ``OPSTATE_URL``)."""
    return [
        ("MerchantLogin", merchant_login),
        ("InvoiceID", str(inv_id)),
        ("Signature", opstate_signature(merchant_login, inv_id, password2, algorithm=algorithm)),
    ]


@dataclass
class _Node:
    name: str
    children: list[_Node] = field(default_factory=list)
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.text_parts).strip()

    def child(self, name: str) -> _Node | None:
        return next((node for node in self.children if node.name == name), None)

    def path_text(self, *names: str) -> str | None:
        node: _Node | None = self
        for name in names:
            node = node.child(name) if node else None
        return node.text if node else None


def _refuse_declarations(*_args: object) -> NoReturn:
    raise OpStateError("XML with a document type or entity declaration is refused")


def _parse_tree(data: bytes) -> _Node:
    """Parse without namespaces (local names only) and without ever expanding declared entities."""
    if len(data) > MAX_RESPONSE_BYTES:
        raise OpStateError("the OpStateExt answer is too large")
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse_declarations
    parser.EntityDeclHandler = _refuse_declarations
    parser.ExternalEntityRefHandler = _refuse_declarations
    roots: list[_Node] = []
    stack: list[_Node] = []

    def start(name: str, _attributes: dict[str, str]) -> None:
        node = _Node(name.rsplit(" ", 1)[-1])
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)

    def end(_name: str) -> None:
        stack.pop()

    def characters(text: str) -> None:
        if stack:
            stack[-1].text_parts.append(text)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise OpStateError(f"the OpStateExt answer is not well-formed XML: {error}") from None
    return roots[0]


def _int(text: str | None, what: str) -> int | None:
    if text is None or text == "":
        return None
    try:
        return int(text)
    except ValueError:
        raise OpStateError(f"{what} is not an integer: {text[:40]!r}") from None


def _decimal(text: str | None, what: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise OpStateError(f"{what} is not a number: {text[:40]!r}") from None
    if not value.is_finite():
        raise OpStateError(f"{what} is not a finite number")
    return value


def _datetime(text: str | None, what: str) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)  # accepts .NET's 7 fractional digits (truncated)
    except ValueError:
        raise OpStateError(f"{what} is not an ISO 8601 date: {text[:40]!r}") from None


def _user_fields(root: _Node) -> tuple[tuple[str, str], ...]:
    container = root.child("UserField") or root.child("UserFields")
    if container is None:
        return ()
    return tuple(
        (node.path_text("Name") or "", node.path_text("Value") or "")
        for node in container.children
        if node.name == "Field"
    )


@dataclass(frozen=True)
class OpState:
    """An OpStateExt answer. ``state`` is ``None`` when ROBOKASSA reported an error."""

    result: OpStateResult
    result_code: int
    result_description: str
    state: OperationState | None = None
    state_code: int | None = None
    request_date: datetime | None = None
    state_date: datetime | None = None
    inc_curr_label: str = ""
    inc_sum: Decimal | None = None
    inc_account: str = ""
    payment_method_code: str = ""
    payment_method_description: str = ""
    out_curr_label: str = ""
    out_sum: Decimal | None = None
    op_key: str = ""
    bank_card_rrn: str = ""
    user_fields: tuple[tuple[str, str], ...] = ()

    @property
    def is_paid(self) -> bool:
        return self.result is OpStateResult.OK and self.state is OperationState.PAID


def parse_opstate(xml_bytes: bytes | str) -> OpState:
    """Read an OpStateExt answer (namespace-agnostic; ``UserField`` or ``UserFields``)."""
    data = xml_bytes.encode("utf-8") if isinstance(xml_bytes, str) else xml_bytes
    root = _parse_tree(data)
    result_code = _int(root.path_text("Result", "Code"), "Result/Code")
    if result_code is None:
        raise OpStateError("the answer has no Result/Code")
    result = OpStateResult(result_code)
    description = root.path_text("Result", "Description") or ""
    if result is not OpStateResult.OK:
        return OpState(result=result, result_code=result_code, result_description=description)
    state_code = _int(root.path_text("State", "Code"), "State/Code")
    if state_code is None:
        raise OpStateError("a successful answer has no State/Code")
    info = root.child("Info") or _Node("Info")
    return OpState(
        result=result,
        result_code=result_code,
        result_description=description,
        state=OperationState(state_code),
        state_code=state_code,
        request_date=_datetime(root.path_text("State", "RequestDate"), "State/RequestDate"),
        state_date=_datetime(root.path_text("State", "StateDate"), "State/StateDate"),
        inc_curr_label=info.path_text("IncCurrLabel") or "",
        inc_sum=_decimal(info.path_text("IncSum"), "Info/IncSum"),
        inc_account=info.path_text("IncAccount") or "",
        payment_method_code=info.path_text("PaymentMethod", "Code") or "",
        payment_method_description=info.path_text("PaymentMethod", "Description") or "",
        out_curr_label=info.path_text("OutCurrLabel") or "",
        out_sum=_decimal(info.path_text("OutSum"), "Info/OutSum"),
        op_key=info.path_text("OpKey") or "",
        bank_card_rrn=info.path_text("BankCardRRN") or "",
        user_fields=_user_fields(root),
    )
