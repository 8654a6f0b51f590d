"""Refunds: the only code that creates and advances a ``Refund``.

1. ``request_refund`` records the click (its ``key``) and reserves the amount on the invoice in
   one transaction: the invoice's row is locked and read again (an ``Invoice`` object the caller
   kept may be stale), a conditional ``UPDATE`` only succeeds while the reservations stay within
   what was paid, backed by the invoice's check constraint, and the receipt lines must add up
   to the amount (``refund_lines``). A second submission of the same key returns the same
   refund. ``RefundSum`` is always sent: "the rest" is an amount, never ROBOKASSA's "all that is
   left", which would refund more than recorded while another refund is open.
2. ``send_refund`` claims the refund (``requested`` → ``sending``, one sender wins), finds the
   operation key (from ROBOKASSA's status interface, never from a notification's unsigned
   parameters) and sends the request: ``processing`` when ROBOKASSA accepted it, ``failed``
   (and the reservation released) when it refused or was never reached, ``unknown`` when the
   request may have arrived — an unknown refund is never sent again; staff settle it after
   checking the cabinet.
3. ``follow_refund`` asks where a processing refund is: ``finished`` adds its amount to the
   invoice's ``refunded``, ``cancelled`` releases the reservation; an amount at ROBOKASSA other
   than the refund's is kept on the refund for staff (``robokassa_amount``). Each transition is
   a conditional ``UPDATE`` from the state it leaves, so it happens once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import MerchantConfig, setting
from ..gateway.refunds import (
    NOT_A_REQUEST_ID,
    RefundError,
    RefundNotSent,
    RefundRefused,
    RefundUncertain,
    create_refund,
    is_request_id,
    refund_state,
)
from ..gateway.status import StatusCheckError, check_status
from ..gateway.transport import Transport
from ..models import (
    Invoice,
    InvoiceStatus,
    NotificationSource,
    Refund,
    RefundState,
    SuccessNotification,
)
from ..protocol import HOSTS
from ..signals import refund_failed, refund_finished, refund_requested
from .reconciliation import invoice_config
from .refund_lines import LinesRefused, checked_lines, without_position
from .storable import storable
from .transitions import announce, check_later, move

logger = logging.getLogger("wagtail_robokassa.refunds")

#: What an amount column holds (10 digits, 2 of them decimals).
MAX_AMOUNT = Decimal(10**8)
#: The first wait between two state checks of a processing refund, doubling up to the second.
FIRST_POLL, MAX_POLL = timedelta(minutes=2), timedelta(hours=6)


class RefundRefusedHere(Exception):
    """A refund this site will not ask for (``str()`` says why, for the merchant)."""


def why_not_refundable(invoice: Invoice, config: MerchantConfig) -> str:
    """Why ``invoice`` cannot be refunded through the API (``""`` when it can)."""
    if invoice.status != InvoiceStatus.PAID:
        return _("Only a paid payment can be refunded.")
    if config.host != HOSTS["ru"]:
        return _("ROBOKASSA's Refund API serves ROBOKASSA Russia only: refund it in the cabinet.")
    if invoice.is_test and not setting("ROBOKASSA_REFUND_URL"):
        return _("ROBOKASSA has no test mode for refunds: a test payment cannot be refunded.")
    if not config.password3:
        return _(
            "Password #3 is not configured: refunds are signed with it. Ask ROBOKASSA's "
            "support for it and enter it in Settings → ROBOKASSA."
        )
    if invoice.refund_reserved >= invoice.amount:
        return _("The whole amount has already been refunded or is being refunded.")
    return ""


def remaining(invoice: Invoice) -> Decimal:
    """What can still be asked for: the amount less the open and finished refunds."""
    return invoice.amount - invoice.refund_reserved


def request_refund(
    invoice: Invoice,
    amount: Decimal | None = None,
    *,
    key: uuid.UUID | None = None,
    items: list[dict[str, Any]] | None = None,
    reason: str = "",
    user: Any = None,
) -> Refund:
    """Record a refund of ``amount`` (None: all that remains) and reserve it; the same ``key``
    again gives the same refund. Raises ``RefundRefusedHere``."""
    key = key or uuid.uuid4()
    existing = Refund.objects.filter(key=key).first()
    if existing is not None:
        return existing
    asked = _money(amount)
    try:
        with transaction.atomic():
            refund = _record(invoice, asked, key, items, reason, user)
    except IntegrityError:
        # The same key at the same moment: the other transaction recorded it (this one's
        # reservation was rolled back with it).
        existing = Refund.objects.filter(key=key).first()
        if existing is None:
            raise
        return existing
    invoice.refund_reserved = refund.invoice.refund_reserved
    logger.info("ROBOKASSA refund of %s requested for InvId %s", refund.amount, invoice.pk)
    return refund


def _money(amount: Any) -> Decimal | None:
    """``amount`` as a finite ``Decimal`` (None: all that remains). Raises
    ``RefundRefusedHere`` for anything else: a float, NaN, an infinity, text."""
    if amount is None:
        return None
    if isinstance(amount, bool) or not isinstance(amount, Decimal | int):
        raise RefundRefusedHere(_("A refund's amount must be a Decimal."))
    try:
        value = Decimal(amount)
        finite = value.is_finite() and value == value.quantize(Decimal("0.01"))
    except InvalidOperation:
        finite = False
    if not finite:
        raise RefundRefusedHere(_("A refund's amount must be a sum in roubles and kopecks."))
    return value


def _record(
    invoice: Invoice,
    amount: Decimal | None,
    key: uuid.UUID,
    items: list[dict[str, Any]] | None,
    reason: str,
    user: Any,
) -> Refund:
    """Inside a transaction: lock and read the invoice again, reserve the amount, check the
    lines, record the refund."""
    current = Invoice.objects.select_for_update().filter(pk=invoice.pk).first()
    if current is None:
        raise RefundRefusedHere(_("Only a paid payment can be refunded."))
    problem = why_not_refundable(current, invoice_config(current))
    if problem:
        raise RefundRefusedHere(problem)
    left = remaining(current)
    amount = left if amount is None else amount
    if not Decimal(0) < amount <= left:
        raise RefundRefusedHere(
            _("A refund must be more than 0 and at most %(left)s, with at most two decimals.")
            % {"left": left}
        )
    reserved = Invoice.objects.filter(
        pk=current.pk,
        status=InvoiceStatus.PAID,
        refund_reserved__lte=F("amount") - amount,
    ).update(refund_reserved=F("refund_reserved") + amount)
    if not reserved:
        raise RefundRefusedHere(
            _("Another refund of this payment was asked for meanwhile: try again.")
        )
    try:
        lines = checked_lines(current, amount, items)
    except LinesRefused as refusal:
        raise RefundRefusedHere(str(refusal)) from None
    current.refund_reserved += amount
    return Refund.objects.create(
        invoice=current,
        amount=amount,
        whole_remainder=amount == left,
        items=_stored_items(lines),
        reason=storable(reason[:255]),
        key=key,
        requested_by=user if getattr(user, "pk", None) else None,
    )


@dataclass(frozen=True)
class Sent:
    """What ``send_refund`` did: the refund as it is now, and whether this call sent it."""

    refund: Refund
    sent: bool


def send_refund(refund: Refund, *, transport: Transport | None = None) -> Sent:
    """Send a requested refund once (another caller's claim wins: nothing is sent twice)."""
    if not Refund.objects.filter(pk=refund.pk, state=RefundState.REQUESTED).update(
        state=RefundState.SENDING, updated_at=timezone.now()
    ):
        refund.refresh_from_db()
        return Sent(refund, sent=False)
    invoice = refund.invoice
    config = invoice_config(invoice)
    try:
        op_key = operation_key(invoice, config, transport=transport)
        request_id = create_refund(
            config, op_key, refund.amount, _sent_items(refund.items), transport=transport
        )
    except (RefundNotSent, RefundRefused, StatusCheckError, OperationKeyMissing) as error:
        _settle(refund, RefundState.FAILED, str(error), release=True)
    except RefundUncertain as error:
        _move(refund, RefundState.SENDING, RefundState.UNKNOWN, message=str(error))
    except RefundError as error:  # not configured: nothing was sent
        _settle(refund, RefundState.FAILED, str(error), release=True)
    else:
        if _move(
            refund,
            RefundState.SENDING,
            RefundState.PROCESSING,
            request_id=request_id,
            message="",
            next_poll_at=timezone.now() + FIRST_POLL,
        ):
            _announce(refund_requested, refund)
    refund.refresh_from_db()
    logger.info("ROBOKASSA refund %s of InvId %s: %s", refund.pk, invoice.pk, refund.state)
    return Sent(refund, sent=True)


#: Receipt line fields that are numbers: stored as exact text, sent as JSON numbers.
NUMBER_FIELDS = ("Quantity", "Cost")


def _stored_items(items: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if not items:
        return None
    return [
        {name: str(value) if name in NUMBER_FIELDS else value for name, value in line.items()}
        for line in items
    ]


def _sent_items(items: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if not items:
        return None
    return [
        {
            name: Decimal(str(value)) if name in NUMBER_FIELDS else value
            for name, value in without_position(line).items()
        }
        for line in items
    ]


class OperationKeyMissing(Exception):
    """ROBOKASSA gave no operation key for the payment (it is not paid there)."""


def operation_key(
    invoice: Invoice, config: MerchantConfig, *, transport: Transport | None = None
) -> str:
    """The payment's ``OpKey``: kept from a status check, else asked from the status interface
    (signed with the shop's own algorithm). Never from a Result URL notification: ROBOKASSA
    sends none there, and its signature does not cover extra parameters, so one found there was
    put there by someone else. Raises ``StatusCheckError`` or ``OperationKeyMissing``."""
    kept = (
        SuccessNotification.objects.filter(invoice=invoice, source=NotificationSource.STATUS_CHECK)
        .values_list("params__OpKey", flat=True)
        .first()
    )
    if isinstance(kept, str) and kept:
        return kept
    state = check_status(config, invoice.pk, is_test=invoice.is_test, transport=transport)
    if not state.is_paid or not state.op_key:
        raise OperationKeyMissing(
            _("ROBOKASSA does not show this payment as paid: there is nothing to refund.")
        )
    return state.op_key


def follow_refund(refund: Refund, *, transport: Transport | None = None) -> Refund:
    """Ask ROBOKASSA where a processing refund is, and settle it when it has settled."""
    if refund.state != RefundState.PROCESSING or not refund.request_id:
        return refund
    now = timezone.now()
    try:
        status = refund_state(refund.request_id, transport=transport)
    except RefundError as error:
        _poll_later(refund, now, str(error))
        return refund
    _keep_robokassa_amount(refund, status.amount)
    if status.label == "finished":
        _settle(refund, RefundState.FINISHED, "", refunded=True)
    elif status.label in ("canceled", "cancelled"):
        _settle(refund, RefundState.CANCELLED, "", release=True)
    else:
        _poll_later(refund, now, "")
    refund.refresh_from_db()
    return refund


#: A requested refund nobody sent within this is sent by ``follow_open_refunds``; one left
#: "being sent" this long was interrupted and may have reached ROBOKASSA.
UNSENT_AFTER, INTERRUPTED_AFTER = timedelta(minutes=2), timedelta(minutes=10)


def _keep_robokassa_amount(refund: Refund, amount: Decimal | None) -> None:
    """ROBOKASSA's amount for the refund, kept when it differs from the refund's own (staff are
    told: the payment's books and ROBOKASSA's disagree)."""
    if amount is None or amount == refund.amount or amount == refund.robokassa_amount:
        return
    if not amount.copy_abs() < MAX_AMOUNT:  # nothing a payment could hold: kept as the largest
        amount = MAX_AMOUNT - Decimal("0.01")
    amount = amount.quantize(Decimal("0.01"))
    Refund.objects.filter(pk=refund.pk).update(robokassa_amount=amount)
    refund.robokassa_amount = amount
    logger.warning(
        "ROBOKASSA reports refund %s of InvId %s as %s, recorded as %s",
        refund.pk,
        refund.invoice_id,
        amount,
        refund.amount,
    )


def follow_open_refunds(*, limit: int = 100, transport: Transport | None = None) -> dict[str, int]:
    """Send the requested refunds left unsent, mark the interrupted ones unknown, and ask about
    the processing ones whose next check is due; returns the counts."""
    transport = transport or Transport.background()
    now = timezone.now()
    open_refunds = Refund.objects.select_related("invoice").order_by("created_at")
    unsent = open_refunds.filter(state=RefundState.REQUESTED, created_at__lte=now - UNSENT_AFTER)
    sent = sum(send_refund(refund, transport=transport).sent for refund in unsent[:limit])
    interrupted = Refund.objects.filter(
        state=RefundState.SENDING, updated_at__lte=now - INTERRUPTED_AFTER
    ).update(
        state=RefundState.UNKNOWN,
        updated_at=now,
        message=_("Sending was interrupted: the refund may have reached ROBOKASSA."),
    )
    due = open_refunds.filter(state=RefundState.PROCESSING, next_poll_at__lte=now)[:limit]
    settled = sum(
        follow_refund(refund, transport=transport).state != RefundState.PROCESSING for refund in due
    )
    return {"sent": sent, "interrupted": interrupted, "settled": settled}


def _poll_later(refund: Refund, now: Any, message: str) -> None:
    check_later(refund, now, message, first=FIRST_POLL, longest=MAX_POLL)


def _move(refund: Refund, leaving: str, state: str, **changes: Any) -> bool:
    return move(refund, leaving, state, **changes)


def _settle(
    refund: Refund,
    state: str,
    message: str,
    *,
    release: bool = False,
    refunded: bool = False,
    leaving: str | None = None,
) -> bool:
    """The final state, and the invoice's amounts with it, in one transaction."""
    if leaving is None:
        settled_by_robokassa = state in (RefundState.FINISHED, RefundState.CANCELLED)
        leaving = RefundState.PROCESSING if settled_by_robokassa else RefundState.SENDING
    with transaction.atomic():
        if not _move(refund, leaving, state, message=message, settled_at=timezone.now()):
            return False
        invoices = Invoice.objects.filter(pk=refund.invoice_id)
        if release:
            invoices.update(refund_reserved=F("refund_reserved") - refund.amount)
        if refunded:
            invoices.update(refunded=F("refunded") + refund.amount)
    _announce(refund_finished if refunded else refund_failed, refund)
    return True


def follow_unknown_refund(
    refund: Refund, request_id: str, *, transport: Transport | None = None
) -> Refund:
    """An unknown refund that staff found in the ROBOKASSA cabinet: follow it by its request
    id, once ``Refund/GetState`` confirms that ROBOKASSA knows it for this amount. Raises
    ``RefundRefusedHere``."""
    if refund.state != RefundState.UNKNOWN:
        raise RefundRefusedHere(_("Only a refund whose outcome is unknown can be settled so."))
    request_id = request_id.strip()
    if not is_request_id(request_id):  # before any query: odd bytes never reach the database
        raise RefundRefusedHere(str(NOT_A_REQUEST_ID))
    request_id = request_id.lower()  # one form under the unique constraint
    if Refund.objects.filter(request_id__iexact=request_id).exclude(pk=refund.pk).exists():
        raise RefundRefusedHere(_("This request id belongs to another refund."))
    try:
        status = refund_state(request_id, transport=transport)
    except RefundError as error:
        raise RefundRefusedHere(str(error)) from None
    if status.amount is None:
        raise RefundRefusedHere(
            _("ROBOKASSA's answer gives no amount for that request: it cannot be matched.")
        )
    if status.amount != refund.amount:
        raise RefundRefusedHere(
            _("That request refunds %(found)s, not %(amount)s.")
            % {"found": status.amount, "amount": refund.amount}
        )
    try:
        with transaction.atomic():
            moved = _move(
                refund,
                RefundState.UNKNOWN,
                RefundState.PROCESSING,
                request_id=request_id,
                message="",
                next_poll_at=timezone.now(),
            )
    except IntegrityError:  # the same id given to another refund at the same moment
        raise RefundRefusedHere(_("This request id belongs to another refund.")) from None
    if moved:
        _announce(refund_requested, refund)
    refund.refresh_from_db()
    return follow_refund(refund, transport=transport)


def abandon_unknown_refund(refund: Refund) -> Refund:
    """An unknown refund that is not in the ROBOKASSA cabinet: it failed; its amount is
    released."""
    if refund.state != RefundState.UNKNOWN:
        raise RefundRefusedHere(_("Only a refund whose outcome is unknown can be settled so."))
    _settle(
        refund,
        RefundState.FAILED,
        _("Not made: it is not in the ROBOKASSA cabinet."),
        release=True,
        leaving=RefundState.UNKNOWN,
    )
    refund.refresh_from_db()
    return refund


def _announce(signal: Signal, refund: Refund) -> None:
    announce(signal, refund, logger, refund=refund, invoice=refund.invoice)


__all__ = [
    "OperationKeyMissing",
    "RefundRefusedHere",
    "Sent",
    "abandon_unknown_refund",
    "follow_open_refunds",
    "follow_refund",
    "follow_unknown_refund",
    "operation_key",
    "remaining",
    "request_refund",
    "send_refund",
    "why_not_refundable",
]
