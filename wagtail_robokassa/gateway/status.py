"""Asking ROBOKASSA what happened to a payment: the XML status interface (``OpStateExt``) over
HTTP, on the protocol core's ``opstate_request`` and ``parse_opstate``.

``check_status(config, inv_id)`` answers with the operation's ``OpState`` or raises a
``StatusCheckError`` whose message says what to do: a network failure or a broken answer
(``Unreachable``, ``BadAnswer``; nothing is known), or ROBOKASSA's own refusal
(``StatusRefused``, with a sentence per result code: a wrong Password #2 or algorithm, a wrong
login, …). An InvId ROBOKASSA has no operation for is ``OperationNotFound`` (a buyer who left
before paying). The call goes through the one transport (``gateway.transport``): within one
deadline, never following a redirect, connection errors and 5xx answers retried a bounded number
of times (a status check changes nothing at ROBOKASSA). The answer is parsed by the protocol
core, which refuses document types and entity declarations (no entity expansion, no external
fetch).

``ROBOKASSA_STATUS_URL`` replaces ROBOKASSA's address (the emulator's in tests and the sandbox).
Passwords never appear in an error message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from ..conf import MerchantConfig, setting
from ..protocol import (
    MAX_INV_ID,
    OperationState,
    OpState,
    OpStateResult,
    opstate_request,
    parse_opstate,
)
from ..protocol.errors import OpStateError
from ..protocol.opstate import MAX_RESPONSE_BYTES, OPSTATE_PATH
from .transport import NotSent, Transport, TransportError, UnusableAnswer


class StatusCheckError(Exception):
    """A status check that gave no state. ``str()`` is a sentence for the merchant."""

    #: Whether the same check may succeed later (the network, ROBOKASSA's internal errors).
    transient = False


class Unreachable(StatusCheckError):
    transient = True


class BadAnswer(StatusCheckError):
    transient = True


class StatusRefused(StatusCheckError):
    """ROBOKASSA answered with an error code (``result``)."""

    def __init__(self, result: OpStateResult, code: int, message: Any) -> None:
        super().__init__(str(message))
        self.result = result
        self.code = code
        self.transient = result is OpStateResult.INTERNAL_ERROR


class NotConfigured(StatusCheckError):
    """The shop has no login or no Password #2 for this mode: nothing was asked."""


class OperationNotFound(StatusRefused):
    """No operation with this InvId: normal for a checkout the buyer left before paying."""


MESSAGES = {
    OpStateResult.BAD_SIGNATURE: _(
        "ROBOKASSA refused the signature: Password #2 or the hash algorithm is wrong."
    ),
    OpStateResult.SHOP_NOT_FOUND: _(
        "ROBOKASSA does not know this shop, or it is not active: the merchant login is wrong."
    ),
    OpStateResult.NOT_FOUND: _(
        "ROBOKASSA has no operation with this InvId: the buyer did not get as far as paying."
    ),
    OpStateResult.AMBIGUOUS: _(
        "ROBOKASSA has two operations with this InvId (a test one and a live one)."
    ),
    OpStateResult.INTERNAL_ERROR: _("ROBOKASSA reported an internal error: try again later."),
}


def status_url(config: MerchantConfig) -> str:
    """Where the status interface is: ``ROBOKASSA_STATUS_URL``, else the shop's ROBOKASSA host."""
    return setting("ROBOKASSA_STATUS_URL") or f"https://{config.host}{OPSTATE_PATH}"


def check_status(
    config: MerchantConfig,
    inv_id: int,
    *,
    is_test: bool = False,
    transport: Transport | None = None,
) -> OpState:
    """The state of operation ``inv_id`` at ROBOKASSA (signed with the live or the test
    Password #2, by ``is_test``). Raises a ``StatusCheckError``; ``transport``: an interactive
    one (``ROBOKASSA_INTERACTIVE_DEADLINE``) unless given."""
    try:
        password2 = config.password2_for(is_test)
    except ImproperlyConfigured as error:
        raise NotConfigured(str(error)) from None
    if not config.login:
        raise NotConfigured(_("The merchant login is not configured."))
    fields = opstate_request(config.login, inv_id, password2, algorithm=config.algorithm)
    answer = _post(transport or Transport.interactive(), status_url(config), fields)
    try:
        state = parse_opstate(answer)
    except OpStateError as error:
        message = _("ROBOKASSA's answer could not be read: %(error)s") % {"error": error}
        raise BadAnswer(message) from None
    if state.result is OpStateResult.OK and state.state is not None:
        return state
    if state.result is OpStateResult.OK:
        raise BadAnswer(_("ROBOKASSA's answer has no operation state."))
    known = MESSAGES.get(state.result)
    refusal = known or _("ROBOKASSA refused the request with code %(code)s: %(description)s") % {
        "code": state.result_code,
        "description": state.result_description[:200],
    }
    error_class = OperationNotFound if state.result is OpStateResult.NOT_FOUND else StatusRefused
    raise error_class(state.result, state.result_code, refusal)


#: The InvId a connection check asks about: the largest there is, which no shop reaches.
PROBE_INV_ID = MAX_INV_ID


@dataclass(frozen=True)
class PairCheck:
    """What a connection check found for one pair of passwords (live or test)."""

    is_test: bool
    #: True: the login and Password #2 are right; False: one is wrong or not set; None: the
    #: check could not tell (ROBOKASSA unreachable or failing).
    ok: bool | None
    message: str


def check_connection(
    config: MerchantConfig, *, transport: Transport | None = None
) -> list[PairCheck]:
    """Whether ROBOKASSA accepts the login and each pair's Password #2 with the hash algorithm:
    a status check of an InvId nobody uses answers "no such operation" only when they are right
    (``SHOP_NOT_FOUND`` for a wrong login, ``BAD_SIGNATURE`` for a wrong password or algorithm).
    Passwords never appear in the messages."""
    transport = transport or Transport.interactive()
    return [_check_pair(config, is_test, transport) for is_test in (False, True)]


def _check_pair(config: MerchantConfig, is_test: bool, transport: Transport) -> PairCheck:
    try:
        check_status(config, PROBE_INV_ID, is_test=is_test, transport=transport)
    except OperationNotFound:
        return PairCheck(is_test, True, str(_("The login and Password #2 are right.")))
    except StatusRefused as refusal:
        if refusal.result is OpStateResult.AMBIGUOUS:  # an answer about the operation: accepted
            return PairCheck(is_test, True, str(_("The login and Password #2 are right.")))
        if refusal.transient or refusal.result is OpStateResult.UNKNOWN:
            return PairCheck(is_test, None, str(refusal))
        return PairCheck(is_test, False, str(refusal))
    except NotConfigured as missing:
        return PairCheck(is_test, False, str(missing))
    except StatusCheckError as error:
        return PairCheck(is_test, None, str(error))
    return PairCheck(is_test, True, str(_("The login and Password #2 are right.")))


def _post(transport: Transport, url: str, fields: list[tuple[str, str]]) -> bytes:
    try:
        answer = transport.send(
            "POST",
            url,
            idempotent=True,
            body=urlencode(fields).encode("ascii"),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            limit=MAX_RESPONSE_BYTES,
        )
    except UnusableAnswer as error:
        raise BadAnswer(str(error)) from None
    except NotSent:
        raise Unreachable(_("ROBOKASSA could not be reached.")) from None
    except TransportError as error:
        raise Unreachable(str(error)) from None
    if answer.status != 200:
        raise BadAnswer(
            _("ROBOKASSA answered with HTTP status %(status)s.") % {"status": answer.status}
        )
    return answer.body


__all__ = [
    "BadAnswer",
    "NotConfigured",
    "OperationNotFound",
    "OperationState",
    "PairCheck",
    "StatusCheckError",
    "StatusRefused",
    "Unreachable",
    "check_connection",
    "check_status",
    "status_url",
]
