"""Charging or releasing a hold at ROBOKASSA (``Merchant/Payment/Confirm`` and ``…/Cancel``),
over the one transport. A request that may have arrived is never sent again from here: it is an
uncertain outcome, for the caller to check first."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _

from ..conf import MerchantConfig, setting
from ..protocol.holds import (
    CANCEL_PATH,
    CONFIRM_PATH,
    cancel_params,
    confirm_params,
    hold_body,
    read_hold_answer,
)
from ..protocol.receipt import Receipt
from .transport import NotSent, Transport, TransportError

#: ROBOKASSA answers with a few bytes; a longer answer proves nothing.
MAX_ANSWER_BYTES = 4096
CONFIRM, CANCEL = "confirm", "cancel"


class HoldActionError(Exception):
    """The charge or release did not happen (as far as anyone knows). ``str()`` is a sentence
    for staff."""


class HoldActionNotSent(HoldActionError):
    """Nothing left: asking again is safe."""


class HoldActionRefused(HoldActionError):
    """ROBOKASSA answered ``"success: false"``."""


class HoldActionUncertain(HoldActionError):
    """The request may have arrived and no usable answer came: check before anything else."""


def hold_action_url(config: MerchantConfig, action: str) -> str:
    """``ROBOKASSA_HOLD_URL`` + ``/Confirm`` or ``/Cancel``, else ROBOKASSA's own on the shop's
    host."""
    base = setting("ROBOKASSA_HOLD_URL")
    if base:
        return base.rstrip("/") + ("/Confirm" if action == CONFIRM else "/Cancel")
    return f"https://{config.host}{CONFIRM_PATH if action == CONFIRM else CANCEL_PATH}"


def send_hold_action(
    config: MerchantConfig,
    action: str,
    *,
    inv_id: int,
    out_sum: Decimal,
    receipt: Receipt | None = None,
    is_test: bool = False,
    transport: Transport | None = None,
) -> None:
    """Charge (``confirm``: ``out_sum``, at most what is held, with the final ``receipt``) or
    release (``cancel``) the hold of payment ``inv_id``. Returns when ROBOKASSA answered
    ``"success: true"``; raises a ``HoldActionError`` otherwise."""
    if is_test and not setting("ROBOKASSA_HOLD_URL"):
        raise HoldActionNotSent(
            _(
                "ROBOKASSA has no test mode for holds: a test hold is charged or released only "
                "by the emulator (ROBOKASSA_HOLD_URL)."
            )
        )
    if not config.login:
        raise HoldActionNotSent(_("The merchant login is not configured."))
    try:
        password1 = config.password1_for(is_test)
    except ImproperlyConfigured as error:
        raise HoldActionNotSent(str(error)) from None
    if action == CONFIRM:
        params = confirm_params(
            config.login, out_sum, inv_id, password1, receipt=receipt, algorithm=config.algorithm
        )
    else:
        params = cancel_params(config.login, out_sum, inv_id, password1, algorithm=config.algorithm)
    try:
        answer = (transport or Transport.interactive()).send(
            "POST",
            hold_action_url(config, action),
            idempotent=False,
            body=hold_body(params).encode("ascii"),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            limit=MAX_ANSWER_BYTES,
        )
    except NotSent as error:
        raise HoldActionNotSent(str(error)) from None
    except TransportError as error:
        raise HoldActionUncertain(
            _("ROBOKASSA's answer was lost (%(error)s): the payment is checked first.")
            % {"error": error}
        ) from None
    text = answer.body.decode("utf-8", "replace")
    verdict = read_hold_answer(text) if answer.status == 200 else None
    if verdict is True:
        return
    if verdict is False:
        raise HoldActionRefused(_('ROBOKASSA answered "success: false".'))
    if answer.status != 200:
        raise HoldActionUncertain(
            _("ROBOKASSA answered HTTP %(status)s: the payment is checked before anything else.")
            % {"status": answer.status}
        )
    raise HoldActionUncertain(
        _("ROBOKASSA's answer could not be read: the payment is checked before anything else.")
    )


__all__ = [
    "CANCEL",
    "CONFIRM",
    "HoldActionError",
    "HoldActionNotSent",
    "HoldActionRefused",
    "HoldActionUncertain",
    "hold_action_url",
    "send_hold_action",
]
