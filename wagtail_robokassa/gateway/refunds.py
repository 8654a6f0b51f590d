"""ROBOKASSA's Refund API over HTTP: ``Refund/Create`` (a JWT signed with Password #3) and
``Refund/GetState``.

A refund request changes money, so what is known after each failure matters more than the
failure itself:

- ``RefundNotSent``: the request never left (no connection could be made): nothing happened,
  asking again is safe;
- ``RefundRefused``: ROBOKASSA answered and refused (``NotEnoughOperationFunds``…): nothing
  happened;
- ``RefundUncertain``: the request may have reached ROBOKASSA (a timeout after sending, a 5xx, an
  unreadable answer): it must not be sent again before someone has checked.

Every call goes through the one transport (``gateway.transport``: one deadline, no redirect
followed). ``Create`` is retried only when nothing was sent; ``GetState`` changes nothing and is
retried on 5xx answers and lost answers too. A 3xx is never followed: the signed token goes
nowhere but the configured address. ``ROBOKASSA_REFUND_URL`` replaces the service's address (the
emulator's, in tests and the sandbox). Password #3 never appears in a message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote

from django.utils.translation import gettext_lazy as _

from ..conf import MerchantConfig, setting
from ..protocol import refund_token
from .transport import Answer, NotSent, Transport, TransportError, json_object, post_token

REFUND_SERVICE = "https://services.robokassa.ru/RefundService"
_REQUEST_ID = re.compile(
    r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\Z"
)

NOT_A_REQUEST_ID = _("This is not a ROBOKASSA refund request id.")

#: ROBOKASSA's refusals, and what to tell the merchant.
REFUSALS = {
    "NotEnoughOperationFunds": _(
        "ROBOKASSA refused: the operation has not enough funds left to refund this amount."
    ),
}


class RefundError(Exception):
    """A refund request that was not accepted. ``str()`` is a sentence for the merchant."""


class RefundNotSent(RefundError):
    """The request never reached ROBOKASSA: nothing happened."""


class RefundRefused(RefundError):
    """ROBOKASSA refused the request (``code``: its message): nothing happened."""

    def __init__(self, code: str, message: Any) -> None:
        super().__init__(str(message))
        self.code = code


class RefundUncertain(RefundError):
    """The request may have reached ROBOKASSA: check before sending anything again."""


class RefundNotConfigured(RefundError):
    """No Password #3: nothing was sent."""


@dataclass(frozen=True)
class RefundStatus:
    """``Refund/GetState``: ``label`` is ``processing``, ``finished`` or ``canceled``."""

    request_id: str
    label: str
    amount: Decimal | None


def is_request_id(text: str) -> bool:
    """Whether ``text`` has the shape of a ROBOKASSA refund request id (a GUID)."""
    return bool(_REQUEST_ID.match(text))


def service_url() -> str:
    return (setting("ROBOKASSA_REFUND_URL") or REFUND_SERVICE).rstrip("/")


def refund_payload(
    op_key: str, amount: Decimal | None, items: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The token's payload as the vendor's module builds it: ``RefundSum`` only for a partial
    refund (absent: the whole remainder), ``InvoiceItems`` only when there are lines."""
    payload: dict[str, Any] = {"OpKey": op_key}
    if amount is not None:
        payload["RefundSum"] = amount
    if items:
        payload["InvoiceItems"] = items
    return payload


def create_refund(
    config: MerchantConfig,
    op_key: str,
    amount: Decimal | None,
    items: list[dict[str, Any]] | None = None,
    *,
    transport: Transport | None = None,
) -> str:
    """Ask ROBOKASSA to refund operation ``op_key`` (``amount`` None: what is left of it);
    returns its request id. Raises a ``RefundError``."""
    if not config.password3:
        raise RefundNotConfigured(_("Password #3 is not configured: refunds cannot be sent."))
    token = refund_token(refund_payload(op_key, amount, items), config.password3)
    try:
        reply = post_token(transport, f"{service_url()}/Refund/Create", token, idempotent=False)
    except NotSent:
        raise RefundNotSent(_("ROBOKASSA could not be reached: nothing was sent.")) from None
    except TransportError:
        raise RefundUncertain(_uncertain()) from None
    answer = json_object(reply.body)
    if answer is None or reply.status >= 500 or answer.get("success") is True:
        # "accepted" is only known with the id that follows it: without one, it may have been
        request_id = answer.get("requestId") if answer is not None else None
        if isinstance(request_id, str) and reply.status < 500 and _REQUEST_ID.match(request_id):
            return request_id.lower()  # one form under the refunds' unique constraint
        raise RefundUncertain(_uncertain())
    if answer.get("success") is not False:  # no refusal said in so many words: not known
        raise RefundUncertain(_uncertain())
    status = reply.status
    code = str(answer.get("message") or "")[:100]
    message = REFUSALS.get(code) or _("ROBOKASSA refused the refund: %(code)s") % {
        "code": code or status
    }
    raise RefundRefused(code, message)


def refund_state(request_id: str, *, transport: Transport | None = None) -> RefundStatus:
    """Where refund request ``request_id`` is. Raises ``RefundUncertain`` when it cannot be
    told (the network, ROBOKASSA failing), ``RefundRefused`` for an id ROBOKASSA does not know."""
    if not is_request_id(request_id):
        raise RefundRefused("BadRequestId", NOT_A_REQUEST_ID)
    try:
        reply: Answer = (transport or Transport.interactive()).send(
            "GET",
            f"{service_url()}/Refund/GetState?id={quote(request_id, safe='')}",
            idempotent=True,
            headers={"Accept": "application/json"},
        )
    except TransportError:
        raise RefundUncertain(_("ROBOKASSA could not be reached: the state is unknown.")) from None
    status = reply.status
    answer = json_object(reply.body)
    if answer is None or status >= 500:
        raise RefundUncertain(_("ROBOKASSA's answer could not be read: the state is unknown."))
    label = answer.get("label")
    if not isinstance(label, str):
        code = str(answer.get("message") or status)[:100]
        raise RefundRefused(
            code, _("ROBOKASSA does not know this refund request: %(code)s") % {"code": code}
        )
    return RefundStatus(request_id, label.lower()[:20], _amount(answer.get("amount")))


def _amount(value: Any) -> Decimal | None:
    try:
        amount = Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None
    return amount if amount is not None and amount.is_finite() else None


def _uncertain() -> Any:
    return _(
        "ROBOKASSA's answer did not arrive or could not be read: the refund may have been "
        "accepted. Check it in the ROBOKASSA cabinet before asking again."
    )


__all__ = [
    "REFUND_SERVICE",
    "RefundError",
    "RefundNotConfigured",
    "RefundNotSent",
    "RefundRefused",
    "RefundStatus",
    "RefundUncertain",
    "create_refund",
    "is_request_id",
    "refund_payload",
    "refund_state",
    "service_url",
]
