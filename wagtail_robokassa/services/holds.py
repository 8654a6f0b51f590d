"""Holds: a payment authorised with ``StepByStep=true`` is held from a verified HOLD until it is
charged (``confirm_hold``, the whole amount or less) or released (``cancel_hold``), by staff, the
shop's code, or the sweep before ROBOKASSA's deadline.

Each held payment has at most one ``HoldSettlement`` (a one-to-one column): of a click and the
sweep at the same moment, one inserts and sends, the other finds the row and sends nothing. The
row is committed as ``sending`` before the request leaves. ``"success: true"`` makes it ``done``;
``"success: false"`` or a request that never left makes it ``refused`` (it may be asked again);
anything else is ``unknown``, and the payment is asked about with OpStateExt before anything is
sent again (``check_settlement``: state 100 charged, 10 released, 20 still held).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import MerchantConfig, setting
from ..gateway.holds import (
    CANCEL,
    CONFIRM,
    HoldActionNotSent,
    HoldActionRefused,
    HoldActionUncertain,
    send_hold_action,
)
from ..gateway.status import OperationNotFound, StatusCheckError, check_status
from ..gateway.transport import Transport
from ..models import (
    BINDING_SETTLEMENT_STATES,
    HoldSettlement,
    Invoice,
    InvoiceStatus,
    SettledBy,
    SettlementKind,
    SettlementState,
)
from ..protocol import OperationState
from ..protocol.receipt import Receipt, check_receipt_total
from ..signals import hold_cancelled, hold_confirmed
from .storable import storable

logger = logging.getLogger("wagtail_robokassa.holds")


class HoldError(Exception):
    """A charge or release that cannot be asked (not held, already settled, a wrong amount).
    ``str()`` is a sentence for staff."""


def holds_refusal(config: MerchantConfig) -> str:
    """Why this shop cannot hold payments, or ``""`` when it can."""
    if not config.holds_enabled:
        return _(
            "Holds are off in Settings → ROBOKASSA. Turn them on once ROBOKASSA has enabled "
            "them for the shop (it does so by agreement, for bank cards)."
        )
    return ""


def holds_possible() -> str:
    """For the editor: why no shop of this installation holds payments, or ``""`` when one
    does (the Site a page will be on is not known while it is edited)."""
    from ..conf import server_values
    from ..models import RobokassaSettings

    server = server_values()
    if "holds_enabled" in server:
        enabled = bool(server["holds_enabled"])
    else:
        enabled = RobokassaSettings.objects.filter(holds_enabled=True).exists()
    return "" if enabled else holds_refusal(MerchantConfig())


def result_url2_address(request: HttpRequest | None = None, site: Any = None) -> str:
    """The absolute address of ``robokassa_result2``: on the request's host, else on the
    Site's root URL ("" when neither is known)."""
    path = reverse("robokassa_result2")
    if request is not None:
        return request.build_absolute_uri(path)
    root = str(getattr(site, "root_url", "") or "")
    return root.rstrip("/") + path if root else ""


def hold_deadline(held_at: datetime) -> datetime:
    """When ROBOKASSA releases a hold by itself (``ROBOKASSA_HOLD_DAYS`` after it was made)."""
    return held_at + timedelta(days=setting("ROBOKASSA_HOLD_DAYS"))


def mark_held(invoice: Invoice, *, held_at: datetime) -> bool:
    """Put a pending payment on hold (one conditional ``UPDATE``); False when it is not pending
    any more. ``invoice`` follows."""
    expires = hold_deadline(held_at)
    changed = Invoice.objects.filter(pk=invoice.pk, status=InvoiceStatus.PENDING).update(
        status=InvoiceStatus.HELD,
        held_at=held_at,
        hold_expires_at=expires,
        updated_at=timezone.now(),
    )
    if changed:
        invoice.status, invoice.held_at, invoice.hold_expires_at = (
            InvoiceStatus.HELD,
            held_at,
            expires,
        )
    return bool(changed)


def settle_by(invoice: Invoice) -> datetime | None:
    """When the sweep settles the hold (``ROBOKASSA_HOLD_MARGIN`` before it expires)."""
    from .sweeps import parse_duration

    if invoice.hold_expires_at is None:
        return None
    return invoice.hold_expires_at - parse_duration(setting("ROBOKASSA_HOLD_MARGIN"))


def _final_receipt(invoice: Invoice, amount: Decimal, receipt: Receipt | None) -> Receipt | None:
    if receipt is not None:
        try:
            check_receipt_total(receipt, amount)
        except ValueError as error:
            raise HoldError(str(error)) from None
        return receipt
    if invoice.receipt and amount != _held(invoice):
        raise HoldError(_("Charging less than was held needs the final receipt: give its lines."))
    return None


def _held(invoice: Invoice) -> Decimal:
    return invoice.held_amount if invoice.held_amount is not None else invoice.amount


def confirm_hold(
    invoice: Invoice,
    amount: Decimal | None = None,
    receipt: Receipt | None = None,
    *,
    user: Any = None,
    settled_by: str = SettledBy.CODE,
    transport: Transport | None = None,
) -> HoldSettlement:
    """Charge the held payment: ``amount`` (default: all that is held, never more) with the final
    ``receipt`` (needed when the payment had one and less is charged). Returns the settlement
    (``done``, ``refused`` or ``unknown``); raises ``HoldError`` when nothing may be sent."""
    held = _held(invoice)
    amount = held if amount is None else Decimal(amount)
    if not Decimal(0) < amount <= held:
        raise HoldError(
            _("The amount to charge must be more than 0 and at most %(held)s.") % {"held": held}
        )
    final = _final_receipt(invoice, amount, receipt)
    settlement = _claim(
        invoice,
        SettlementKind.CHARGE,
        amount=amount,
        receipt=final.to_dict() if final is not None else None,
        user=user,
        settled_by=settled_by,
    )
    return _send(settlement, CONFIRM, receipt=final, transport=transport)


def cancel_hold(
    invoice: Invoice,
    *,
    user: Any = None,
    settled_by: str = SettledBy.CODE,
    transport: Transport | None = None,
) -> HoldSettlement:
    """Release the held payment's money. Returns the settlement; raises ``HoldError`` when
    nothing may be sent."""
    settlement = _claim(
        invoice,
        SettlementKind.RELEASE,
        amount=_held(invoice),
        receipt=None,
        user=user,
        settled_by=settled_by,
    )
    return _send(settlement, CANCEL, receipt=None, transport=transport)


def _claim(
    invoice: Invoice,
    kind: str,
    *,
    amount: Decimal,
    receipt: dict | None,
    user: Any,
    settled_by: str,
) -> HoldSettlement:
    """The settlement, committed as ``sending``, and the payment's amount set to what is charged
    (``held_amount`` keeps what was held), so that ROBOKASSA's notification of the charge matches
    it whenever it comes. Raises ``HoldError`` when another settlement holds the payment."""
    values = {
        "kind": kind,
        "amount": amount,
        "receipt": receipt,
        "requested_by": user if getattr(user, "pk", None) else None,
        "settled_by": settled_by,
        "message": "",
    }
    with transaction.atomic():
        locked = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if locked.status != InvoiceStatus.HELD:
            raise HoldError(_("This payment is not on hold."))
        if locked.hold_expires_at is not None and locked.hold_expires_at <= timezone.now():
            raise HoldError(_("The hold has expired: ROBOKASSA has released the money."))
        try:
            with transaction.atomic():
                settlement = HoldSettlement.objects.create(invoice=locked, **values)
        except IntegrityError:
            settlement = _reclaim(locked, values)
        if kind == SettlementKind.CHARGE:
            held = _held(locked)
            Invoice.objects.filter(pk=locked.pk).update(held_amount=held, amount=amount)
            locked.held_amount, locked.amount = held, amount
    invoice.held_amount, invoice.amount = locked.held_amount, locked.amount
    settlement.invoice = invoice
    return settlement


def _reclaim(invoice: Invoice, values: dict[str, Any]) -> HoldSettlement:
    """The payment's settlement again, if the last one was refused; else ``HoldError``."""
    taken = HoldSettlement.objects.filter(invoice=invoice).exclude(
        state__in=BINDING_SETTLEMENT_STATES
    )
    if not taken.update(state=SettlementState.SENDING, answered_at=None, **values):
        existing = HoldSettlement.objects.get(invoice=invoice)
        raise HoldError(
            _("This hold is already being settled (%(action)s: %(state)s).")
            % {"action": existing.get_kind_display(), "state": existing.get_state_display()}
        )
    settlement = HoldSettlement.objects.get(invoice=invoice)
    HoldSettlement.objects.filter(pk=settlement.pk).update(attempts=settlement.attempts + 1)
    settlement.attempts += 1
    return settlement


def _send(
    settlement: HoldSettlement,
    action: str,
    *,
    receipt: Receipt | None,
    transport: Transport | None,
) -> HoldSettlement:
    from .reconciliation import invoice_config

    invoice = settlement.invoice
    try:
        send_hold_action(
            invoice_config(invoice),
            action,
            inv_id=invoice.pk,
            out_sum=settlement.amount,
            receipt=receipt,
            is_test=invoice.is_test,
            transport=transport,
        )
    except (HoldActionNotSent, HoldActionRefused) as error:
        _answered(settlement, SettlementState.REFUSED, str(error))
    except HoldActionUncertain as error:
        _answered(settlement, SettlementState.UNKNOWN, str(error))
    else:
        _answered(settlement, SettlementState.DONE, "")
    return settlement


def _answered(settlement: HoldSettlement, state: str, message: str) -> None:
    """The answer to a settlement, and what it does to its payment (once: the change is
    conditional on the state it leaves)."""
    now = timezone.now()
    invoice = settlement.invoice
    with transaction.atomic():
        changed = HoldSettlement.objects.filter(
            pk=settlement.pk, state__in=(SettlementState.SENDING, SettlementState.UNKNOWN)
        ).update(state=state, message=storable(message)[:255], answered_at=now)
        if not changed:
            return
        settlement.state, settlement.message, settlement.answered_at = state, message, now
        if state == SettlementState.REFUSED and settlement.kind == SettlementKind.CHARGE:
            _restore_amount(invoice)
        if state == SettlementState.DONE and settlement.kind == SettlementKind.RELEASE:
            Invoice.objects.filter(pk=invoice.pk, status=InvoiceStatus.HELD).update(
                status=InvoiceStatus.CANCELLED, updated_at=now
            )
            invoice.status = InvoiceStatus.CANCELLED
        if state == SettlementState.DONE and settlement.kind == SettlementKind.CHARGE:
            # The payment is paid when ROBOKASSA's notification comes; a status check soon
            # finds it if the notification is lost. What was charged is its receipt now (for
            # refunds and the final receipt).
            changes: dict[str, Any] = {"next_check_at": now + _FOLLOW_UP}
            if settlement.receipt:
                changes["receipt"] = invoice.receipt = settlement.receipt
            Invoice.objects.filter(pk=invoice.pk).update(**changes)
        if state == SettlementState.DONE:
            transaction.on_commit(lambda: _announce(settlement))
    log = logger.info if state == SettlementState.DONE else logger.warning
    log("ROBOKASSA hold of InvId %s, %s: %s", invoice.pk, settlement.kind, state)


#: How soon after an accepted charge the payment is asked about, if no notification came.
_FOLLOW_UP = timedelta(minutes=10)


def _restore_amount(invoice: Invoice) -> None:
    if invoice.held_amount is None:
        return
    Invoice.objects.filter(pk=invoice.pk, status=InvoiceStatus.HELD).update(
        amount=invoice.held_amount
    )
    invoice.amount = invoice.held_amount


def _announce(settlement: HoldSettlement) -> None:
    invoice = settlement.invoice
    if settlement.kind == SettlementKind.CHARGE:
        hold_confirmed.send_robust(
            sender=Invoice, invoice=invoice, settlement=settlement, amount=settlement.amount
        )
    else:
        hold_cancelled.send_robust(
            sender=Invoice, invoice=invoice, settlement=settlement, reason=settlement.settled_by
        )


def check_settlement(
    settlement: HoldSettlement, *, transport: Transport | None = None
) -> HoldSettlement:
    """Ask ROBOKASSA what an ``unknown`` settlement did (OpStateExt): paid means charged,
    cancelled means released, still held means it never arrived (``refused``: it may be asked
    again). Any other answer leaves it unknown."""
    from .reconciliation import invoice_config, reconcile_invoice

    if settlement.state != SettlementState.UNKNOWN:
        return settlement
    invoice = settlement.invoice
    try:
        state = check_status(
            invoice_config(invoice), invoice.pk, is_test=invoice.is_test, transport=transport
        ).state
    except (OperationNotFound, StatusCheckError) as error:
        logger.warning("ROBOKASSA hold of InvId %s could not be checked: %s", invoice.pk, error)
        return settlement
    charged = settlement.kind == SettlementKind.CHARGE
    if state is OperationState.PAID and charged:
        _answered(settlement, SettlementState.DONE, "")
        reconcile_invoice(invoice, transport=transport)  # records the payment once
    elif state is OperationState.CANCELLED and not charged:
        _answered(settlement, SettlementState.DONE, "")
    elif state is OperationState.HOLD:
        _answered(
            settlement,
            SettlementState.REFUSED,
            _("ROBOKASSA still holds the money: the request did not arrive."),
        )
    return settlement


@dataclass
class HoldSweep:
    """What a sweep of holds did."""

    warned: list[int] = field(default_factory=list)
    settled: list[HoldSettlement] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    checked: list[HoldSettlement] = field(default_factory=list)
    followed: list[int] = field(default_factory=list)
    skipped: int = 0

    def summary(self) -> dict[str, int]:
        return {
            "warned": len(self.warned),
            "settled": len(self.settled),
            "expired": len(self.expired),
            "checked": len(self.checked),
            "followed": len(self.followed),
            "skipped": self.skipped,
        }


def held_unsettled(now: datetime | None = None) -> Any:
    """Held payments nobody asked to charge or release (or whose last request was refused)."""
    return Invoice.objects.filter(status=InvoiceStatus.HELD).exclude(
        hold_settlement__state__in=BINDING_SETTLEMENT_STATES
    )


def settle_expiring_holds(
    *, now: datetime | None = None, transport: Transport | None = None
) -> HoldSweep:
    """The periodic sweep: warn staff a day before a hold is settled, settle it
    (``ROBOKASSA_HOLD_EXPIRY_ACTION``) ``ROBOKASSA_HOLD_MARGIN`` before ROBOKASSA's deadline,
    take an expired one for released, and check unknown settlements."""
    from .hold_warnings import warn_staff

    now = now or timezone.now()
    transport = transport or Transport.background()
    sweep = HoldSweep()
    margin = settle_by_margin()
    unsettled = held_unsettled(now)
    for invoice in unsettled.filter(hold_expires_at__lte=now):
        if _expire(invoice, now):
            sweep.expired.append(invoice.pk)
    due = list(unsettled.filter(hold_expires_at__gt=now, hold_expires_at__lte=now + margin))
    for invoice in due:
        settlement = _settle_before_expiry(invoice, transport)
        if settlement is None:
            sweep.skipped += 1
        else:
            sweep.settled.append(settlement)
    warn = unsettled.filter(
        Q(hold_warned_at__isnull=True),
        hold_expires_at__gt=now + margin,
        hold_expires_at__lte=now + margin + timedelta(days=1),
    )
    sweep.warned = warn_staff(list(warn), now=now)
    for settlement in HoldSettlement.objects.filter(state=SettlementState.UNKNOWN).select_related(
        "invoice"
    ):
        sweep.checked.append(check_settlement(settlement, transport=transport))
    sweep.followed = _follow_charges(now, transport)
    return sweep


def _follow_charges(now: datetime, transport: Transport) -> list[int]:
    """Charges ROBOKASSA accepted whose notification has not come: the status interface says
    whether they are paid (and records them once)."""
    from .reconciliation import reconcile_invoice

    waiting = Invoice.objects.filter(
        status=InvoiceStatus.HELD,
        hold_settlement__kind=SettlementKind.CHARGE,
        hold_settlement__state=SettlementState.DONE,
        hold_settlement__answered_at__lte=now - _FOLLOW_UP,
    )
    followed = []
    for invoice in waiting:
        reconcile_invoice(invoice, transport=transport)
        followed.append(invoice.pk)
    return followed


def settle_by_margin() -> timedelta:
    from .sweeps import parse_duration

    return parse_duration(setting("ROBOKASSA_HOLD_MARGIN"))


def _settle_before_expiry(invoice: Invoice, transport: Transport) -> HoldSettlement | None:
    action = setting("ROBOKASSA_HOLD_EXPIRY_ACTION")
    try:
        if action == "charge":
            return confirm_hold(invoice, settled_by=SettledBy.EXPIRY, transport=transport)
        return cancel_hold(invoice, settled_by=SettledBy.EXPIRY, transport=transport)
    except HoldError as error:  # a click settled it first, or it cannot be charged whole
        logger.info("ROBOKASSA hold of InvId %s not settled by the sweep: %s", invoice.pk, error)
        return None


def _expire(invoice: Invoice, now: datetime) -> bool:
    """A hold past ROBOKASSA's deadline that nobody settled: ROBOKASSA released it."""
    changed = Invoice.objects.filter(pk=invoice.pk, status=InvoiceStatus.HELD).update(
        status=InvoiceStatus.EXPIRED, updated_at=now
    )
    if changed:
        invoice.status = InvoiceStatus.EXPIRED
        transaction.on_commit(
            lambda: hold_cancelled.send_robust(
                sender=Invoice, invoice=invoice, settlement=None, reason="expired"
            )
        )
    return bool(changed)


__all__ = [
    "HoldError",
    "HoldSweep",
    "cancel_hold",
    "check_settlement",
    "confirm_hold",
    "hold_deadline",
    "holds_possible",
    "holds_refusal",
    "mark_held",
    "result_url2_address",
    "settle_by",
    "settle_expiring_holds",
]
