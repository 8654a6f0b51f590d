"""The second (final) receipt: the only code that creates and advances a ``SecondReceipt``.

Under 54-FZ a prepaid sale needs a final receipt when the goods are handed over. ROBOKASSA
registers at most two receipts per operation, so this one is sent at most once per payment:

1. ``request_final_receipt`` records it; the unique payment column lets one of two simultaneous
   requests win, and the other gets the same row.
2. ``send_final_receipt`` claims it (``requested`` → ``sending``, one sender wins) and sends it:
   ``sent`` when ROBOKASSA took it, ``failed`` when it refused or was never reached (asking
   again sends the same receipt id), ``unknown`` when it may have been taken — never sent again.
3. ``follow_final_receipt`` asks ``Receipt/Status`` until the fiscal document has its number.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from ..conf import MerchantConfig, setting
from ..gateway.fiscal import (
    ReceiptNotSent,
    ReceiptRefused,
    ReceiptUncertain,
    attach_receipt,
    receipt_status,
)
from ..gateway.transport import Transport
from ..models import Invoice, InvoiceStatus, SecondReceipt, SecondReceiptState
from ..protocol import HOSTS, PREPAYMENT_METHODS, second_receipt_payload
from ..signals import final_receipt_registered, final_receipt_sent
from .reconciliation import invoice_config
from .refund_lines import kept_items
from .transitions import announce, check_later, move

logger = logging.getLogger("wagtail_robokassa.receipts")

FIRST_POLL, MAX_POLL = timedelta(minutes=1), timedelta(hours=6)
#: A requested receipt nobody sent within this is sent by ``follow_final_receipts``; one left
#: "being sent" this long was interrupted and may have reached ROBOKASSA.
UNSENT_AFTER, INTERRUPTED_AFTER = timedelta(minutes=2), timedelta(minutes=10)
#: States in which ROBOKASSA is asked whether the receipt is registered.
FOLLOWED_STATES = (SecondReceiptState.SENT, SecondReceiptState.UNKNOWN)
#: Receipt line fields that are numbers.
NUMBER_FIELDS = ("quantity", "sum", "cost")


class FinalReceiptRefusedHere(Exception):
    """A final receipt this site will not send (``str()`` says why, for the merchant)."""


def prepaid_lines(invoice: Invoice) -> list[dict[str, Any]]:
    """The receipt lines of ``invoice`` that were sold as a prepayment."""
    items = (invoice.receipt or {}).get("items") or []
    return [item for item in items if isinstance(item, dict) and _is_prepaid(item)]


def _is_prepaid(item: dict[str, Any]) -> bool:
    return item.get("payment_method") in PREPAYMENT_METHODS


def final_lines(invoice: Invoice) -> list[dict[str, Any]]:
    """What the final receipt hands over: the prepaid lines, less what finished refunds
    returned."""
    return [item for _index, item in kept_items(invoice) if _is_prepaid(item)]


def why_no_final_receipt(invoice: Invoice, config: MerchantConfig) -> str:
    """Why ``invoice`` cannot get a final receipt now (``""`` when it can)."""
    existing = SecondReceipt.objects.filter(invoice=invoice).first()
    if existing is not None and existing.state != SecondReceiptState.FAILED:
        return _("The final receipt of this payment has already been sent (%(state)s).") % {
            "state": existing.get_state_display()
        }
    return _why_not_sendable(invoice, config)


def _why_not_sendable(invoice: Invoice, config: MerchantConfig) -> str:
    if invoice.status != InvoiceStatus.PAID:
        return _("Only a paid payment gets a final receipt.")
    if config.host != HOSTS["ru"]:
        return _("Final receipts through ROBOKASSA serve ROBOKASSA Russia only.")
    if not prepaid_lines(invoice):
        return _("This payment's receipt was not a prepayment: it needs no final receipt.")
    if not invoice.email:
        return _("The buyer's e-mail is needed to send them the final receipt.")
    if invoice.refunded >= invoice.amount:
        return _("The payment was refunded in full: there is nothing to hand over.")
    if invoice.refund_reserved >= invoice.amount:
        return _("A refund of the whole payment is open: the final receipt waits until it settles.")
    if not final_lines(invoice):
        return _("Every prepaid line was refunded: there is nothing to hand over.")
    if invoice.is_test and not setting("ROBOKASSA_FISCAL_URL"):
        return _("ROBOKASSA registers no receipts for test payments.")
    return ""


def request_final_receipt(invoice: Invoice, *, user: Any = None) -> SecondReceipt:
    """Record the final receipt of ``invoice`` (the existing one when there is one; a failed
    one is asked for again). Raises ``FinalReceiptRefusedHere``."""
    existing = SecondReceipt.objects.filter(invoice=invoice).first()
    if existing is not None and existing.state != SecondReceiptState.FAILED:
        return existing
    problem = _why_not_sendable(invoice, invoice_config(invoice))
    if problem:
        raise FinalReceiptRefusedHere(problem)
    if existing is not None:  # refused or never sent: nothing was attached, send it again
        SecondReceipt.objects.filter(pk=existing.pk, state=SecondReceiptState.FAILED).update(
            state=SecondReceiptState.REQUESTED, message="", updated_at=timezone.now()
        )
        existing.refresh_from_db()
        return existing
    try:
        with transaction.atomic():
            receipt = SecondReceipt.objects.create(
                invoice=invoice,
                total=_total(final_lines(invoice)),
                requested_by=user if getattr(user, "pk", None) else None,
            )
    except IntegrityError:  # asked at the same moment: the other request's row
        return SecondReceipt.objects.get(invoice=invoice)
    logger.info("ROBOKASSA final receipt requested for InvId %s", invoice.pk)
    return receipt


def build_payload(receipt: SecondReceipt, config: MerchantConfig) -> dict[str, Any]:
    invoice = receipt.invoice
    site = invoice.site if invoice.site_id else None
    return second_receipt_payload(
        merchant_login=config.login,
        receipt_id=receipt.receipt_id,
        inv_id=invoice.pk,
        url=site.root_url if site is not None else "",
        items=[_exact(line) for line in final_lines(invoice)],
        email=invoice.email,
        sno=(invoice.receipt or {}).get("sno") or config.receipt_sno,
    )


def send_final_receipt(
    receipt: SecondReceipt, *, transport: Transport | None = None
) -> SecondReceipt:
    """Send a requested final receipt once (another caller's claim wins)."""
    if not SecondReceipt.objects.filter(pk=receipt.pk, state=SecondReceiptState.REQUESTED).update(
        state=SecondReceiptState.SENDING, updated_at=timezone.now()
    ):
        receipt.refresh_from_db()
        return receipt
    invoice = receipt.invoice
    config = invoice_config(invoice)
    try:
        payload = build_payload(receipt, config)
        SecondReceipt.objects.filter(pk=receipt.pk).update(payload=payload)  # what is sent
        description = attach_receipt(config, payload, is_test=invoice.is_test, transport=transport)
    except (ReceiptNotSent, ReceiptRefused, ImproperlyConfigured) as error:
        _move(receipt, SecondReceiptState.SENDING, SecondReceiptState.FAILED, message=str(error))
    except ReceiptUncertain as error:
        _move(
            receipt,
            SecondReceiptState.SENDING,
            SecondReceiptState.UNKNOWN,
            message=str(error),
            next_poll_at=timezone.now() + FIRST_POLL,
        )
    else:
        if _move(
            receipt,
            SecondReceiptState.SENDING,
            SecondReceiptState.SENT,
            message=description,
            next_poll_at=timezone.now() + FIRST_POLL,
        ):
            _announce(final_receipt_sent, receipt)
    receipt.refresh_from_db()
    logger.info("ROBOKASSA final receipt of InvId %s: %s", invoice.pk, receipt.state)
    return receipt


def follow_final_receipt(
    receipt: SecondReceipt, *, transport: Transport | None = None
) -> SecondReceipt:
    """Ask ROBOKASSA whether a sent receipt, or one whose outcome is unknown (its id is known),
    is registered, and keep its fiscal details. An unknown one that is not registered stays
    unknown: it is never sent again without someone checking."""
    if receipt.state not in FOLLOWED_STATES:
        return receipt
    leaving = receipt.state
    invoice = receipt.invoice
    now = timezone.now()
    try:
        status = receipt_status(
            invoice_config(invoice),
            receipt.receipt_id,
            is_test=invoice.is_test,
            transport=transport,
        )
    except (ReceiptUncertain, ImproperlyConfigured) as error:
        _poll_later(receipt, now, receipt.message if leaving == "unknown" else str(error))
        return receipt
    if not status.registered:
        _poll_later(receipt, now, receipt.message if leaving == "unknown" else status.description)
    elif _move(
        receipt,
        leaving,
        SecondReceiptState.REGISTERED,
        message=status.description,
        fn_number=status.fn_number,
        document_number=status.document_number,
        document_attribute=status.document_attribute,
        fiscal_date=status.fiscal_date,
    ):
        _announce(final_receipt_registered, receipt)
    receipt.refresh_from_db()
    return receipt


def follow_final_receipts(
    *, limit: int = 100, transport: Transport | None = None
) -> dict[str, int]:
    """Send the requested receipts left unsent, mark the interrupted ones unknown, and ask about
    the sent ones whose next check is due; returns the counts."""
    transport = transport or Transport.background()
    now = timezone.now()
    receipts = SecondReceipt.objects.select_related("invoice").order_by("created_at")
    unsent = receipts.filter(state=SecondReceiptState.REQUESTED, updated_at__lte=now - UNSENT_AFTER)
    sent = sum(
        send_final_receipt(receipt, transport=transport).state != SecondReceiptState.REQUESTED
        for receipt in unsent[:limit]
    )
    interrupted = SecondReceipt.objects.filter(
        state=SecondReceiptState.SENDING, updated_at__lte=now - INTERRUPTED_AFTER
    ).update(
        state=SecondReceiptState.UNKNOWN,
        updated_at=now,
        next_poll_at=now,
        message=_("Sending was interrupted: the receipt may have reached ROBOKASSA."),
    )
    due = receipts.filter(state__in=FOLLOWED_STATES, next_poll_at__lte=now)[:limit]
    registered = sum(
        follow_final_receipt(receipt, transport=transport).state == SecondReceiptState.REGISTERED
        for receipt in due
    )
    return {"sent": sent, "interrupted": interrupted, "registered": registered}


def send_unknown_again(receipt: SecondReceipt) -> SecondReceipt:
    """A receipt whose outcome was unknown and that is not in the ROBOKASSA cabinet: ask for it
    again (the same receipt id). Raises ``FinalReceiptRefusedHere``."""
    if not SecondReceipt.objects.filter(pk=receipt.pk, state=SecondReceiptState.UNKNOWN).update(
        state=SecondReceiptState.REQUESTED, message="", updated_at=timezone.now()
    ):
        raise FinalReceiptRefusedHere(
            _("Only a final receipt whose outcome is unknown can be sent again so.")
        )
    receipt.refresh_from_db()
    return receipt


def _total(lines: list[dict[str, Any]]) -> Decimal:
    return sum((Decimal(str(line.get("sum", 0))) for line in lines), Decimal(0))


def _exact(line: dict[str, Any]) -> dict[str, Any]:
    return {
        name: Decimal(str(value)) if name in NUMBER_FIELDS else value
        for name, value in line.items()
    }


def _poll_later(receipt: SecondReceipt, now: Any, message: str) -> None:
    check_later(receipt, now, message, first=FIRST_POLL, longest=MAX_POLL)


def _move(receipt: SecondReceipt, leaving: str, state: str, **changes: Any) -> bool:
    return move(receipt, leaving, state, **changes)


def _announce(signal: Signal, receipt: SecondReceipt) -> None:
    announce(signal, receipt, logger, receipt=receipt, invoice=receipt.invoice)


__all__ = [
    "FinalReceiptRefusedHere",
    "build_payload",
    "final_lines",
    "follow_final_receipt",
    "follow_final_receipts",
    "prepaid_lines",
    "request_final_receipt",
    "send_final_receipt",
    "send_unknown_again",
    "why_no_final_receipt",
]
