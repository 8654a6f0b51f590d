"""A subscription's renewal at ROBOKASSA's ``Merchant/Recurring`` (``protocol.recurring``).

Money moves, so what is known after each failure decides what the plugin may do next:

- ``ChargeNotSent``: the request never left (or was not made: no password, no test mode at
  ROBOKASSA): nothing happened, sending it later is safe;
- ``ChargeRefused``: ROBOKASSA answered and refused (``Recurring error``, its own words): the
  buyer was not charged;
- ``ChargeUncertain``: the request may have been taken (a timeout after sending, an HTTP error,
  an answer that cannot be read, a redirect): ask the status interface before anything is sent
  again.

Accepted (``OK<InvoiceID>``) is not paid: the Result URL says when it is. The call goes through
the one transport, is never retried once a byte has left, and rides on a fresh connection.
``ROBOKASSA_RECURRING_URL`` replaces ROBOKASSA's address (the emulator's, in tests and the
sandbox). No password appears in a message.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from ..conf import MerchantConfig, setting
from ..protocol import Receipt
from ..protocol.recurring import accepted_inv_id, recurring_body, recurring_params, recurring_url
from .transport import NotSent, Transport, TransportError

#: An answer longer than this is not ROBOKASSA's ``OK<id>`` or its one-line error.
MAX_ANSWER_BYTES = 4096


class ChargeError(Exception):
    """A renewal that was not accepted. ``str()`` is a sentence for the merchant."""


class ChargeNotSent(ChargeError):
    """Nothing reached ROBOKASSA."""


class ChargeRefused(ChargeError):
    """ROBOKASSA refused the renewal (``robokassa_message``: its words)."""

    def __init__(self, message: Any, *, robokassa_message: str = "") -> None:
        super().__init__(str(message))
        self.robokassa_message = robokassa_message


class ChargeUncertain(ChargeError):
    """The renewal may have been taken: check its InvId before sending anything again."""


def charge_url(config: MerchantConfig) -> str:
    """``ROBOKASSA_RECURRING_URL``, else ``Merchant/Recurring`` on the shop's host."""
    return setting("ROBOKASSA_RECURRING_URL") or recurring_url(config.host)


def send_renewal(
    config: MerchantConfig,
    *,
    inv_id: int,
    previous_inv_id: int,
    out_sum: Decimal,
    description: str = "",
    receipt: Receipt | None = None,
    is_test: bool = False,
    transport: Transport | None = None,
) -> None:
    """Ask ROBOKASSA to charge the card of payment ``previous_inv_id`` again, as ``inv_id``.
    Returns when ROBOKASSA accepted it; raises a ``ChargeError`` otherwise."""
    if is_test and not setting("ROBOKASSA_RECURRING_URL"):
        raise ChargeNotSent(
            _(
                "ROBOKASSA has no test mode for renewals: a test subscription is renewed only "
                "by the emulator (ROBOKASSA_RECURRING_URL)."
            )
        )
    if not config.login:
        raise ChargeNotSent(_("The merchant login is not configured."))
    try:
        password1 = config.password1_for(is_test)
    except ImproperlyConfigured as error:
        raise ChargeNotSent(str(error)) from None
    params = recurring_params(
        config.login,
        out_sum,
        inv_id,
        previous_inv_id,
        password1,
        description=description,
        receipt=receipt,
        algorithm=config.algorithm,
    )
    try:
        answer = (transport or Transport.interactive()).send(
            "POST",
            charge_url(config),
            idempotent=False,
            body=recurring_body(params).encode("ascii"),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            limit=MAX_ANSWER_BYTES,
        )
    except NotSent as error:  # its message says that ROBOKASSA could not be reached
        raise ChargeNotSent(str(error)) from None
    except TransportError as error:
        raise ChargeUncertain(
            _("ROBOKASSA's answer was lost (%(error)s): the renewal is checked first.")
            % {"error": error}
        ) from None
    text = answer.body.decode("utf-8", "replace").strip()
    if answer.status != 200:
        raise ChargeUncertain(
            _("ROBOKASSA answered HTTP %(status)s: the renewal is checked before anything else.")
            % {"status": answer.status}
        )
    accepted = accepted_inv_id(text)
    if accepted == inv_id:
        return
    if accepted is not None:
        raise ChargeUncertain(
            _("ROBOKASSA accepted InvId %(other)s instead of %(inv_id)s: it is checked.")
            % {"other": accepted, "inv_id": inv_id}
        )
    if not _reads_as_a_refusal(text):
        raise ChargeUncertain(
            _("ROBOKASSA's answer could not be read: the renewal is checked before anything else.")
        )
    words = " ".join(text.split())[:200]
    raise ChargeRefused(
        _("ROBOKASSA refused the renewal: %(message)s")
        % {"message": words or _("no reason given")},
        robokassa_message=words,
    )


def _reads_as_a_refusal(text: str) -> bool:
    """ROBOKASSA refuses in one short line of text (``Recurring error``); a page, a JSON
    document or anything long came from something else, and proves nothing."""
    return 0 < len(text) <= 300 and "\n" not in text and text[0] not in "<{[" and text.isprintable()


__all__ = [
    "ChargeError",
    "ChargeNotSent",
    "ChargeRefused",
    "ChargeUncertain",
    "charge_url",
    "send_renewal",
]
