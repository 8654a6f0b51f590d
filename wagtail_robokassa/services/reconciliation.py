"""Reconciliation: asking ROBOKASSA about a payment whose notification has not arrived, and
recording what it says.

A paid operation is recorded through the Result URL's own exactly-once write
(``results.record_confirmed_payment``): one notification (marked as coming from a status check),
one ``result_received``, whichever of the check and ROBOKASSA's notification comes first. It is
credited only when ROBOKASSA's answer is for the invoice's own mode (the check is signed with
that mode's Password #2) and one of its sums equals the invoice's amount. Every other answer,
and every failure, is kept on the invoice as its last check (``Invoice.last_check``), without a
signal.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import MerchantConfig
from ..gateway.status import (
    NotConfigured,
    OperationNotFound,
    StatusCheckError,
    StatusRefused,
    check_status,
)
from ..gateway.transport import Transport
from ..models import CheckOutcome, Invoice, InvoiceStatus, NotificationSource
from ..protocol import Callback, OperationState, OpState, OpStateResult, is_shp_name
from ..protocol.amounts import plain_amount
from .config import config_for_invoice, get_config
from .results import notification_values, record_confirmed_payment
from .storable import storable
from .verification import Refusal

logger = logging.getLogger("wagtail_robokassa.reconciliation")

#: ``OpStateExt`` states and what a check records for them (100 is ``PAID``, handled apart).
STATE_OUTCOMES = {
    OperationState.INITIATED: CheckOutcome.INITIATED,
    OperationState.CANCELLED: CheckOutcome.CANCELLED,
    OperationState.HOLD: CheckOutcome.HOLD,
    OperationState.PROCESSING: CheckOutcome.PROCESSING,
    OperationState.RETURNED: CheckOutcome.RETURNED,
    OperationState.SUSPENDED: CheckOutcome.SUSPENDED,
    OperationState.PAID: CheckOutcome.PAID,
}

#: The first wait between two automatic checks of one invoice; it doubles after each check…
FIRST_BACKOFF = timedelta(minutes=5)
#: … up to this.
MAX_BACKOFF = timedelta(hours=6)


@dataclass(frozen=True)
class CheckResult:
    """What one status check of ``invoice`` found and did."""

    invoice: Invoice
    outcome: CheckOutcome
    detail: str
    #: This check recorded the payment (and sent ``result_received``).
    credited: bool = False
    #: ROBOKASSA's answer, when there was one.
    state: OpState | None = None
    #: The check could not be made (ROBOKASSA unreachable or broken): it may succeed later.
    transient: bool = False

    @property
    def reached(self) -> bool:
        """Whether ROBOKASSA answered (a refusal is an answer; a network failure is not)."""
        return not self.transient


def backoff(checks: int) -> timedelta:
    """The wait after the ``checks``-th automatic check: 5 min, 10, 20, … at most 6 h."""
    exponent = min(max(checks - 1, 0), 16)
    return min(FIRST_BACKOFF * 2**exponent, MAX_BACKOFF)


def invoice_config(invoice: Invoice) -> MerchantConfig:
    """The configuration of the Site that issued ``invoice`` (Django settings without one)."""
    if invoice.site_id is None:
        return get_config()
    return config_for_invoice(invoice.pk) or get_config(invoice.site)


def reconcile_invoice(
    invoice: Invoice,
    *,
    transport: Transport | None = None,
    now: datetime | None = None,
    schedule: bool = False,
) -> CheckResult:
    """Ask ROBOKASSA what happened to ``invoice``; record a paid operation once; keep the answer
    as the invoice's last check. ``schedule`` sets the next automatic check (the back-off).
    Never raises for ROBOKASSA's, the network's or a ``result_received`` receiver's failure:
    they are the result (``FAILED``, ``transient`` when checking again may help), and a payment
    that could not be recorded is left pending."""
    now = now or timezone.now()
    config = invoice_config(invoice)
    try:
        state = check_status(config, invoice.pk, is_test=invoice.is_test, transport=transport)
    except OperationNotFound as error:
        result = CheckResult(invoice, CheckOutcome.NOT_FOUND, str(error))
    except (NotConfigured, StatusRefused) as error:
        outcome = CheckOutcome.REFUSED if _misconfigured(error) else CheckOutcome.FAILED
        result = CheckResult(invoice, outcome, str(error), transient=error.transient)
    except StatusCheckError as error:
        result = CheckResult(invoice, CheckOutcome.FAILED, str(error), transient=error.transient)
    else:
        result = _outcome(invoice, config, state)
    _keep(result, now, schedule=schedule)
    log = logger.warning if result.outcome in _WORRYING else logger.info
    log("ROBOKASSA status check of InvId %s: %s", invoice.pk, result.outcome.value)
    return result


#: Paid at ROBOKASSA, and not credited to this payment.
NOT_CREDITED = frozenset(
    {CheckOutcome.MISMATCH, CheckOutcome.TEST_IN_LIVE, CheckOutcome.ANOTHER_PAYMENT}
)
_WORRYING = NOT_CREDITED | {CheckOutcome.FAILED, CheckOutcome.REFUSED, CheckOutcome.UNKNOWN_STATE}
#: ROBOKASSA's refusals that mean the shop's own configuration is wrong.
_MISCONFIGURED = frozenset({OpStateResult.BAD_SIGNATURE, OpStateResult.SHOP_NOT_FOUND})


def _misconfigured(error: StatusCheckError) -> bool:
    """A missing login or Password #2, or ROBOKASSA refusing the signature or the login."""
    return isinstance(error, NotConfigured) or (
        isinstance(error, StatusRefused) and error.result in _MISCONFIGURED
    )


def _outcome(invoice: Invoice, config: MerchantConfig, state: OpState) -> CheckResult:
    detail = describe(state)
    if state.state is OperationState.HOLD and _is_for(invoice, state):
        _note_hold(invoice, state)
    if state.state is not OperationState.PAID:
        outcome = STATE_OUTCOMES.get(state.state, CheckOutcome.UNKNOWN_STATE)  # type: ignore[arg-type]
        return CheckResult(invoice, outcome, detail, state=state)
    if not _is_for(invoice, state):
        mismatch = _(
            "ROBOKASSA reports a payment of another amount (%(sums)s) for a payment of "
            "%(amount)s: it was not credited."
        ) % {"sums": _sums(state), "amount": plain_amount(invoice.amount)}
        return CheckResult(invoice, CheckOutcome.MISMATCH, mismatch, state=state)
    if invoice.is_test and not config.test_mode:  # as the Result URL refuses it
        refused = _("A test payment while the shop is in live mode: it was not credited.")
        return CheckResult(invoice, CheckOutcome.TEST_IN_LIVE, refused, state=state)
    callback = _callback(invoice, state)
    try:
        recorded = record_confirmed_payment(callback, config, _values(callback, config))
    except Refusal as refusal:  # the invoice changed since it was read
        return CheckResult(invoice, CheckOutcome.MISMATCH, refusal.detail, state=state)
    except Exception as error:  # a receiver, the database: nothing was committed; check again
        logger.exception("ROBOKASSA payment found by a status check could not be recorded")
        failure = _("The payment is paid at ROBOKASSA but could not be recorded (%(error)s).") % {
            "error": type(error).__name__
        }
        return CheckResult(invoice, CheckOutcome.FAILED, failure, state=state, transient=True)
    if recorded.invoice is not None:
        invoice.status, invoice.paid_at = recorded.invoice.status, recorded.invoice.paid_at
    elif recorded.duplicate and not _is_paid_now(invoice):
        # The InvId's notification was recorded before it was this invoice's (another payment).
        taken = _("ROBOKASSA's payment of this InvId is recorded as another payment: not credited.")
        return CheckResult(invoice, CheckOutcome.ANOTHER_PAYMENT, taken, state=state)
    return CheckResult(
        invoice, CheckOutcome.PAID, detail, credited=not recorded.duplicate, state=state
    )


def _note_hold(invoice: Invoice, state: OpState) -> None:
    """OpStateExt's state 20: the fallback that puts a pending payment on hold when its
    ResultUrl2 HOLD never came."""
    from ..signals import payment_held
    from .holds import mark_held

    if invoice.status != InvoiceStatus.PENDING:
        return
    if invoice.is_test and not invoice_config(invoice).test_mode:
        return
    try:
        with transaction.atomic():
            if mark_held(invoice, held_at=state.state_date or timezone.now()):
                payment_held.send(sender=Invoice, invoice=invoice, notification=None, request=None)
    except Exception:  # a receiver: nothing was committed, the next check tries again
        logger.exception("ROBOKASSA hold found by a status check could not be recorded")
        invoice.status = InvoiceStatus.PENDING


def _is_paid_now(invoice: Invoice) -> bool:
    paid = Invoice.objects.filter(pk=invoice.pk, status=InvoiceStatus.PAID).values_list(
        "paid_at", flat=True
    )
    for paid_at in paid:
        invoice.status, invoice.paid_at = InvoiceStatus.PAID, paid_at
        return True
    return False


def _is_for(invoice: Invoice, state: OpState) -> bool:
    """Whether the paid operation is this invoice's: one of its sums is the invoice's amount
    (``OutSum`` when the buyer paid ROBOKASSA's fee, ``IncSum`` when the shop did)."""
    return invoice.amount in {value for value in (state.out_sum, state.inc_sum) if value}


def _sums(state: OpState) -> str:
    sums = [("OutSum", state.out_sum), ("IncSum", state.inc_sum)]
    return ", ".join(f"{name} {value}" for name, value in sums if value is not None) or "—"


def describe(state: OpState) -> str:
    """ROBOKASSA's answer in one line (codes and sums, no secrets)."""
    parts = [f"State {state.state_code}"]
    if state.state_date is not None:
        parts.append(state.state_date.isoformat(timespec="seconds"))
    if state.out_sum is not None or state.inc_sum is not None:
        parts.append(_sums(state))
    if state.payment_method_code:
        parts.append(state.payment_method_code)
    return storable("; ".join(parts))[:255]


def _callback(invoice: Invoice, state: OpState) -> Callback:
    """The paid operation as the callback the Result URL would have received."""
    shp = tuple((name, value) for name, value in state.user_fields if is_shp_name(name))
    extra: dict[str, Any] = {
        "IncSum": state.inc_sum,
        "IncCurrLabel": state.inc_curr_label,
        "PaymentMethod": state.payment_method_code,
        "OpKey": state.op_key,
        "State": state.state_code,
        "StateDate": state.state_date.isoformat() if state.state_date else None,
    }
    return confirmed_callback(
        invoice,
        out_sum=f"{state.out_sum}" if state.out_sum is not None else None,
        shp=shp,
        extra=extra,
        inc_sum=state.inc_sum,
        payment_method=state.payment_method_code,
        inc_curr_label=state.inc_curr_label,
    )


def confirmed_callback(
    invoice: Invoice,
    *,
    out_sum: str | None,
    shp: tuple[tuple[str, str], ...],
    extra: dict[str, Any],
    inc_sum: Decimal | None,
    payment_method: str,
    inc_curr_label: str,
) -> Callback:
    """A payment ROBOKASSA confirmed other than on the Result URL (a status check, ResultUrl2)
    as the callback the Result URL would have received: ``out_sum`` as ROBOKASSA gave it (the
    invoice's amount without one), ``extra`` its other values, the invoice's own ``Shp_*`` when
    ROBOKASSA gave none."""
    if not shp:  # ROBOKASSA did not return them: the invoice's own are the ones it was sent
        shp = tuple(sorted((name, str(value)) for name, value in (invoice.shp or {}).items()))
    amount = plain_amount(invoice.amount)
    params: list[tuple[str, str]] = [
        ("OutSum", out_sum or amount),
        ("InvId", str(invoice.pk)),
        ("IsTest", "1" if invoice.is_test else "0"),
    ]
    params += [(name, str(value)) for name, value in extra.items() if value not in (None, "")]
    params += list(shp)
    return Callback(
        out_sum_raw=amount,
        out_sum=invoice.amount,
        inv_id=invoice.pk,
        inv_id_raw=str(invoice.pk),
        signature="",
        is_test=invoice.is_test,
        shp=shp,
        fee=None,
        inc_sum=inc_sum,
        email=invoice.email,
        payment_method=payment_method,
        inc_curr_label=inc_curr_label,
        culture="",
        params=tuple(params),
    )


def _values(callback: Callback, config: MerchantConfig) -> dict[str, Any]:
    return {
        **notification_values(callback, config, client_ip=None),
        "source": NotificationSource.STATUS_CHECK,
        "deliveries": 0,  # ROBOKASSA's own notification has not arrived
    }


def _keep(result: CheckResult, now: datetime, *, schedule: bool) -> None:
    """Keep the check on the invoice (one UPDATE: the invoice's other fields are the write
    path's)."""
    changes: dict[str, Any] = {
        "last_check": result.outcome,
        "last_check_detail": storable(result.detail)[:255],
        "last_checked_at": now,
        "checks": F("checks") + 1,
    }
    if schedule:
        changes["next_check_at"] = now + backoff(result.invoice.checks + 1)
    Invoice.objects.filter(pk=result.invoice.pk).update(**changes)
    invoice = result.invoice
    invoice.last_check, invoice.last_check_detail = result.outcome, changes["last_check_detail"]
    invoice.last_checked_at, invoice.checks = now, invoice.checks + 1
    if schedule:
        invoice.next_check_at = changes["next_check_at"]


__all__ = [
    "NOT_CREDITED",
    "CheckResult",
    "backoff",
    "describe",
    "invoice_config",
    "reconcile_invoice",
]
