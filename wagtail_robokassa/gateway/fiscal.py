"""RoboFiscal over HTTP: the second (final) receipt (``Receipt/Attach``) and its status
(``Receipt/Status``), bodies signed with Password #1 and the shop's algorithm.

As with refunds, what is known after a failure decides what may happen next:

- ``ReceiptNotSent``: the request never left: sending it again is safe;
- ``ReceiptRefused``: ROBOKASSA answered with a non-zero ``ResultCode``: nothing was attached;
- ``ReceiptUncertain``: the request may have been taken: ROBOKASSA allows two receipts per
  operation, so it is never sent again before someone has looked in the cabinet.

``ROBOKASSA_FISCAL_URL`` replaces the service's address (the emulator's, in tests and the
sandbox). Every call goes through the one transport (``gateway.transport``: one deadline, no
redirect followed); ``Attach`` is retried only when nothing was sent, ``Status`` changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from ..conf import MerchantConfig, setting
from ..protocol import fiscal_body, receipt_status_payload
from .transport import Answer, NotSent, Transport, TransportError, json_object

FISCAL_SERVICE = "https://ws.roboxchange.com/RoboFiscal"


class ReceiptError(Exception):
    """A receipt request that was not accepted. ``str()`` is a sentence for the merchant."""


class ReceiptNotSent(ReceiptError):
    """The request never reached ROBOKASSA: nothing happened."""


class ReceiptRefused(ReceiptError):
    """ROBOKASSA answered and refused (``code``: its ``ResultCode``): nothing was attached."""

    def __init__(self, code: str, message: Any) -> None:
        super().__init__(str(message))
        self.code = code


class ReceiptUncertain(ReceiptError):
    """The request may have been taken: check before sending anything again."""


@dataclass(frozen=True)
class FiscalStatus:
    """``Receipt/Status``: ``registered`` once the fiscal document has its number."""

    code: str
    description: str
    fn_number: str
    document_number: str
    document_attribute: str
    fiscal_date: str

    @property
    def registered(self) -> bool:
        return bool(self.document_number)


def service_url() -> str:
    return (setting("ROBOKASSA_FISCAL_URL") or FISCAL_SERVICE).rstrip("/")


def _post(
    path: str, body: str, content_type: str, transport: Transport | None, *, idempotent: bool
) -> Answer:
    return (transport or Transport.interactive()).send(
        "POST",
        f"{service_url()}/{path}",
        idempotent=idempotent,
        body=body.encode("ascii"),
        headers={"Content-Type": content_type, "Accept": "application/json"},
    )


def attach_receipt(
    config: MerchantConfig,
    payload: dict[str, Any],
    *,
    is_test: bool = False,
    transport: Transport | None = None,
) -> str:
    """Send the final receipt ``payload``; returns ROBOKASSA's ``ResultDescription``. Raises a
    ``ReceiptError``."""
    body = fiscal_body(payload, config.password1_for(is_test), config.algorithm)
    try:
        reply = _post("Receipt/Attach", body, "application/json", transport, idempotent=False)
    except NotSent:
        raise ReceiptNotSent(_("ROBOKASSA could not be reached: nothing was sent.")) from None
    except TransportError:
        raise ReceiptUncertain(_uncertain()) from None
    answer = json_object(reply.body)
    if answer is None or reply.status >= 500 or "ResultCode" not in answer:
        raise ReceiptUncertain(_uncertain())
    code = str(answer["ResultCode"])[:20]
    description = str(answer.get("ResultDescription") or "")[:200]
    if code != "0":
        raise ReceiptRefused(
            code,
            _("ROBOKASSA refused the receipt (%(code)s): %(description)s")
            % {"code": code, "description": description or "—"},
        )
    return description


def receipt_status(
    config: MerchantConfig,
    receipt_id: int | str,
    *,
    is_test: bool = False,
    transport: Transport | None = None,
) -> FiscalStatus:
    """Where receipt ``receipt_id`` is. Raises ``ReceiptUncertain`` when it cannot be told."""
    body = fiscal_body(
        receipt_status_payload(config.login, receipt_id),
        config.password1_for(is_test),
        config.algorithm,
        escape_slashes=True,
    )
    try:
        reply = _post(
            "Receipt/Status", body, "application/json; charset=utf-8", transport, idempotent=True
        )
    except TransportError:
        raise ReceiptUncertain(_("ROBOKASSA could not be reached: the state is unknown.")) from None
    answer = json_object(reply.body)
    if answer is None or reply.status >= 500:
        raise ReceiptUncertain(_("ROBOKASSA's answer could not be read: the state is unknown."))

    def text(name: str, limit: int = 64) -> str:
        value = answer.get(name)
        return "" if value is None else str(value)[:limit]

    return FiscalStatus(
        code=text("Code", 20),
        description=text("Description", 200),
        fn_number=text("FnNumber"),
        document_number=text("FiscalDocumentNumber"),
        document_attribute=text("FiscalDocumentAttribute"),
        fiscal_date=text("FiscalDate"),
    )


def _uncertain() -> Any:
    return _(
        "ROBOKASSA's answer did not arrive or could not be read: the receipt may have been "
        "taken. Check it in the ROBOKASSA cabinet before sending it again."
    )


__all__ = [
    "FISCAL_SERVICE",
    "FiscalStatus",
    "ReceiptError",
    "ReceiptNotSent",
    "ReceiptRefused",
    "ReceiptUncertain",
    "attach_receipt",
    "receipt_status",
    "service_url",
]
