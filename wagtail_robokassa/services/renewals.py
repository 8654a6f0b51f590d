"""Renewing subscriptions: the sweep that charges the due periods at ROBOKASSA's
``Merchant/Recurring``, and follows each charge until it is paid or given up.

- A subscription is **claimed** by one conditional ``UPDATE`` (``charging_until``): of several
  sweeps at once, one charges it; a cancellation asked for meanwhile is seen by the claim, and
  one asked for after the claim completes once the renewal is answered.
- A period has **one charge** (a unique constraint); each request for it is a ``ChargeAttempt``
  with a new InvId, committed as ``sending`` before anything leaves, so an interrupted sweep
  leaves a trace, never a second request.
- ``OK<id>`` is *accepted*: the period is paid when the Result URL (or a status check) records
  that InvId's payment (``subscriptions.note_subscription_payment``). A charge still waiting
  after ``ROBOKASSA_SUBSCRIPTION_CHECK_AFTER``, or whose request may have arrived, is asked
  about at the status interface before anything is sent again.
- A refusal waits ``ROBOKASSA_SUBSCRIPTION_RETRY_DAYS`` (1, 3, 7 days) between attempts, the
  subscription past due meanwhile; when they are used up it is cancelled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, F, Max, OuterRef, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from ..conf import setting
from ..gateway.recurring import ChargeNotSent, ChargeRefused, ChargeUncertain, send_renewal
from ..gateway.transport import Transport
from ..models import (
    CHARGEABLE_STATES,
    AttemptState,
    CancelReason,
    ChargeAttempt,
    ChargeState,
    CheckOutcome,
    Invoice,
    InvoiceStatus,
    Subscription,
    SubscriptionCharge,
    SubscriptionState,
)
from ..protocol import Receipt
from ..signals import subscription_payment_failed
from .config import get_config
from .numbering import create_invoice
from .subscriptions import (
    SubscriptionRefusedHere,
    _announce_cancellation,
    finish_cancellation,
    note_subscription_payment,
)

logger = logging.getLogger("wagtail_robokassa.renewals")

#: How long a claim lasts: longer than any call's deadline (at most 300 s).
CLAIM = timedelta(minutes=10)
#: When a request never left (no connection), the next attempt waits this long.
NOT_SENT_WAIT = timedelta(hours=1)
#: Status check outcomes that mean the charge will not be paid.
_NOT_PAID = frozenset({CheckOutcome.NOT_FOUND, CheckOutcome.CANCELLED})


@dataclass
class Renewals:
    """What one sweep did."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, number: int = 1) -> None:
        if number:
            self.counts[what] = self.counts.get(what, 0) + number


def renew_subscriptions(
    *,
    now: datetime | None = None,
    transport: Transport | None = None,
    limit: int = 100,
) -> dict[str, int]:
    """One sweep: end subscriptions whose first payment never came, complete cancellations,
    send reminders, follow waiting charges, and charge the due periods. ``now`` may be moved
    forward (the sandbox's "a month passes"). Returns the counts of what it did."""
    now = now or timezone.now()
    transport = transport or Transport.background()
    done = Renewals()
    done.add("started", _heal_first_payments())
    done.add("ended", _end_abandoned(now))
    done.add("cancelled", _finish_cancellations())
    done.add("reminded", _remind(now, limit))
    for charge in _waiting(now, limit):
        done.add(_follow(charge, now, transport))
    for subscription in _due(now, limit):
        done.add(_charge_due(subscription, now, transport))
    return done.counts


def _heal_first_payments() -> int:
    """A first payment recorded while its subscription was not moved on (a delivery whose
    second step failed) starts it now."""
    started = 0
    for invoice in Invoice.objects.filter(
        status=InvoiceStatus.PAID,
        started_subscription__state__in=(SubscriptionState.PENDING, SubscriptionState.ENDED),
        started_subscription__payments_made=0,
    )[:100]:
        with transaction.atomic():
            note_subscription_payment(invoice, None)
        started += 1
    return started


def _end_abandoned(now: datetime) -> int:
    days = setting("ROBOKASSA_SUBSCRIPTION_FIRST_PAYMENT_DAYS")
    return Subscription.objects.filter(
        state=SubscriptionState.PENDING,
        payments_made=0,
        created_at__lt=now - timedelta(days=days),
    ).update(state=SubscriptionState.ENDED, ended_at=now, updated_at=now)


def _finish_cancellations() -> int:
    pending = Subscription.objects.filter(
        _unclaimed(),
        state__in=CHARGEABLE_STATES,
        cancel_requested_at__isnull=False,
    ).values_list("pk", flat=True)[:100]
    return sum(finish_cancellation(pk) for pk in list(pending))


def _remind(now: datetime, limit: int) -> int:
    """The buyer's reminder, once a period, ``ROBOKASSA_SUBSCRIPTION_REMINDER_DAYS`` ahead."""
    days = setting("ROBOKASSA_SUBSCRIPTION_REMINDER_DAYS")
    if not days:
        return 0
    from .subscription_emails import send_subscription_email

    soon = Subscription.objects.filter(
        state=SubscriptionState.ACTIVE,
        cancel_requested_at__isnull=True,
        next_charge_at__gt=now,
        next_charge_at__lte=now + timedelta(days=days),
        reminded_period__lte=F("payments_made"),
    )[:limit]
    sent = 0
    for subscription in soon:
        period = subscription.payments_made + 1
        taken = Subscription.objects.filter(
            pk=subscription.pk, reminded_period=subscription.reminded_period
        ).update(reminded_period=period)
        if taken:
            send_subscription_email(subscription, "reminder")
            sent += 1
    return sent


def _waiting(now: datetime, limit: int) -> list[SubscriptionCharge]:
    """Charges whose request may have been interrupted, or that waited long enough."""
    stale = timezone.now() - CLAIM  # the real clock: a send in flight is never "stale"
    SubscriptionCharge.objects.filter(
        state=ChargeState.SENDING,
        attempt_records__state=AttemptState.SENDING,
        attempt_records__sent_at__lt=stale,
    ).update(state=ChargeState.WAITING, updated_at=now)
    ChargeAttempt.objects.filter(state=AttemptState.SENDING, sent_at__lt=stale).update(
        state=AttemptState.UNKNOWN,
        message=_("The sweep was interrupted while sending: checked before anything else."),
    )
    after = now - setting("ROBOKASSA_SUBSCRIPTION_CHECK_AFTER")
    return list(
        SubscriptionCharge.objects.filter(state=ChargeState.WAITING)
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .annotate(last_sent=Max("attempt_records__sent_at"))
        .filter(last_sent__lte=after)
        .select_related("subscription")
        .order_by("due_at")[:limit]
    )


def _follow(charge: SubscriptionCharge, now: datetime, transport: Transport) -> str:
    """Ask ROBOKASSA about a waiting charge's last attempt (claimed, so once per check)."""
    from .reconciliation import backoff, reconcile_invoice

    attempt = charge.attempt_records.select_related("invoice").order_by("-sent_at").first()
    if attempt is None:  # pragma: no cover - a waiting charge has been sent
        return "skipped"
    unchanged = Q(next_attempt_at=charge.next_attempt_at)
    if charge.next_attempt_at is None:
        unchanged = Q(next_attempt_at__isnull=True)
    checks = attempt.invoice.checks
    claimed = SubscriptionCharge.objects.filter(unchanged, pk=charge.pk, state=ChargeState.WAITING)
    if not claimed.update(next_attempt_at=now + backoff(checks + 1)):
        return "skipped"
    invoice = attempt.invoice
    if invoice.status != InvoiceStatus.PAID:
        result = reconcile_invoice(invoice, transport=transport, now=now)
        ChargeAttempt.objects.filter(pk=attempt.pk).update(checked_at=now)
        invoice.refresh_from_db()
    if invoice.status == InvoiceStatus.PAID:
        # Recorded (now, or earlier by a delivery whose second step failed): moved on once.
        with transaction.atomic():
            note_subscription_payment(invoice, None)
        return "renewed"
    if result.outcome in _NOT_PAID:
        if attempt.state == AttemptState.UNKNOWN and result.outcome == CheckOutcome.NOT_FOUND:
            _settle(attempt, AttemptState.NOT_SENT, str(result.detail))
            _reschedule(charge, now + NOT_SENT_WAIT, _("ROBOKASSA never received the renewal."))
            return "not_sent"
        _settle(attempt, AttemptState.REFUSED, str(result.detail))
        return _refused(
            charge,
            now,
            _("ROBOKASSA did not charge the renewal: %(detail)s") % {"detail": result.detail},
        )
    return "waiting"


def _due(now: datetime, limit: int) -> list[Subscription]:
    """Subscriptions whose next period is due and may be sent now (not waiting for an answer,
    nor for the end of a refusal's back-off)."""
    held = SubscriptionCharge.objects.filter(
        Q(next_attempt_at__gt=now) | ~Q(state=ChargeState.SCHEDULED),
        subscription=OuterRef("pk"),
        period=OuterRef("payments_made") + 1,
    )
    return list(
        Subscription.objects.filter(
            _unclaimed(),
            state__in=CHARGEABLE_STATES,
            cancel_requested_at__isnull=True,
            next_charge_at__lte=now,
        )
        .exclude(Exists(held))
        .order_by("next_charge_at")[:limit]
    )


def _unclaimed() -> Q:
    """No sweep is sending a renewal of it. Claims are in real time, whatever ``now`` a sweep
    runs at (the sandbox moves it forward), so that two sweeps never both hold one."""
    return Q(charging_until__isnull=True) | Q(charging_until__lt=timezone.now())


def claim(subscription: Subscription) -> bool:
    """Take ``subscription`` for this sweep: False when another has it, or it is cancelled."""
    return bool(
        Subscription.objects.filter(
            _unclaimed(),
            pk=subscription.pk,
            state__in=CHARGEABLE_STATES,
            cancel_requested_at__isnull=True,
        ).update(charging_until=timezone.now() + CLAIM)
    )


def _release(subscription: Subscription) -> None:
    Subscription.objects.filter(pk=subscription.pk).update(charging_until=None)
    finish_cancellation(subscription.pk)


def _charge_due(
    subscription: Subscription, now: datetime, transport: Transport, user: Any = None
) -> str:
    if not claim(subscription):
        return "skipped"
    try:
        charge = _period_charge(subscription, now)
        if charge.state != ChargeState.SCHEDULED:
            return (
                "waiting"
                if charge.state in (ChargeState.WAITING, ChargeState.SENDING)
                else "skipped"
            )
        if charge.next_attempt_at is not None and charge.next_attempt_at > now and user is None:
            return "skipped"
        return _attempt(subscription, charge, now, transport, user)
    finally:
        _release(subscription)


def _period_charge(subscription: Subscription, now: datetime) -> SubscriptionCharge:
    """The charge of the subscription's next period, made once (the unique constraint)."""
    period = subscription.payments_made + 1
    try:
        with transaction.atomic():
            charge, _created = SubscriptionCharge.objects.get_or_create(
                subscription=subscription,
                period=period,
                defaults={
                    "amount": subscription.amount,
                    "due_at": subscription.next_charge_at or now,
                },
            )
    except IntegrityError:  # made at this very moment by another sweep's claim that expired
        charge = SubscriptionCharge.objects.get(subscription=subscription, period=period)
    return charge


def _attempt(
    subscription: Subscription,
    charge: SubscriptionCharge,
    now: datetime,
    transport: Transport,
    user: Any,
) -> str:
    """Record one attempt (its new InvId) as being sent, commit, then send it."""
    parent = subscription.parent_invoice_id
    if parent is None:  # pragma: no cover - a started subscription has its first payment
        return "skipped"
    with transaction.atomic():
        still_ours = Subscription.objects.filter(
            pk=subscription.pk, cancel_requested_at__isnull=True, state__in=CHARGEABLE_STATES
        ).update(updated_at=now)
        taken = still_ours and SubscriptionCharge.objects.filter(
            pk=charge.pk, state=ChargeState.SCHEDULED
        ).update(state=ChargeState.SENDING, attempts=F("attempts") + 1, updated_at=now)
        if not taken:
            return "skipped"
        invoice = create_invoice(
            merchant_login=subscription.merchant_login,
            is_test=subscription.is_test,
            amount=charge.amount,
            description=subscription.description,
            email=subscription.email,
            receipt=subscription.receipt,
            site=subscription.site,
            page=subscription.page,
            block_id=subscription.block_id,
            reference=subscription.reference,
            subscription=subscription,
        )
        attempt = ChargeAttempt.objects.create(
            charge=charge, invoice=invoice, staff_user=user if getattr(user, "pk", None) else None
        )
    config = get_config(subscription.site)
    receipt = Receipt.from_dict(subscription.receipt) if subscription.receipt else None
    try:
        send_renewal(
            config,
            inv_id=invoice.pk,
            previous_inv_id=parent,
            out_sum=charge.amount,
            description=subscription.description,
            receipt=receipt,
            is_test=subscription.is_test,
            transport=transport,
        )
    except ChargeNotSent as error:
        _settle(attempt, AttemptState.NOT_SENT, str(error))
        _reschedule(charge, now + NOT_SENT_WAIT, str(error), leaving=ChargeState.SENDING)
        logger.warning("ROBOKASSA renewal InvId %s not sent: %s", invoice.pk, error)
        return "not_sent"
    except ChargeRefused as error:
        _settle(attempt, AttemptState.REFUSED, str(error))
        logger.warning("ROBOKASSA renewal InvId %s refused: %s", invoice.pk, error)
        return _refused(charge, now, str(error), leaving=ChargeState.SENDING)
    except ChargeUncertain as error:
        _settle(attempt, AttemptState.UNKNOWN, str(error), cancel_invoice=False)
        _wait(charge, str(error))
        logger.warning("ROBOKASSA renewal InvId %s uncertain: %s", invoice.pk, error)
        return "uncertain"
    ChargeAttempt.objects.filter(pk=attempt.pk, state=AttemptState.SENDING).update(
        state=AttemptState.ACCEPTED, answered_at=timezone.now()
    )
    _wait(charge, "")
    logger.info("ROBOKASSA renewal InvId %s accepted", invoice.pk)
    return "accepted"


def _settle(
    attempt: ChargeAttempt, state: str, message: str, *, cancel_invoice: bool = True
) -> None:
    """An attempt's end (from sending, accepted or unknown; never from paid)."""
    ChargeAttempt.objects.filter(pk=attempt.pk).exclude(state=AttemptState.PAID).update(
        state=state, message=message[:300], answered_at=timezone.now()
    )
    if cancel_invoice:
        Invoice.objects.filter(pk=attempt.invoice_id, status=InvoiceStatus.PENDING).update(
            status=InvoiceStatus.CANCELLED
        )


def _wait(charge: SubscriptionCharge, message: str) -> None:
    SubscriptionCharge.objects.filter(pk=charge.pk, state=ChargeState.SENDING).update(
        state=ChargeState.WAITING, message=message[:300], next_attempt_at=None
    )


def _reschedule(
    charge: SubscriptionCharge, when: datetime, message: str, *, leaving: str = ChargeState.WAITING
) -> None:
    SubscriptionCharge.objects.filter(pk=charge.pk, state=leaving).update(
        state=ChargeState.SCHEDULED, next_attempt_at=when, message=message[:300]
    )


def _refused(
    charge: SubscriptionCharge, now: datetime, message: str, *, leaving: str = ChargeState.WAITING
) -> str:
    """A refused attempt: wait and try again (past due), or give up (cancelled)."""
    retry_days = tuple(setting("ROBOKASSA_SUBSCRIPTION_RETRY_DAYS"))
    failures = charge.failures + 1
    final = failures > len(retry_days)
    subscription = charge.subscription
    with transaction.atomic():
        changes: dict[str, Any] = {
            "failures": failures,
            "message": message[:300],
            "updated_at": now,
        }
        if final:
            changes |= {"state": ChargeState.FAILED, "next_attempt_at": None}
        else:
            changes |= {
                "state": ChargeState.SCHEDULED,
                "next_attempt_at": now + timedelta(days=retry_days[failures - 1]),
            }
        if not SubscriptionCharge.objects.filter(pk=charge.pk, state=leaving).update(**changes):
            return "skipped"
        if final:
            cancelled = Subscription.objects.filter(
                pk=subscription.pk, state__in=CHARGEABLE_STATES
            ).update(
                state=SubscriptionState.CANCELLED,
                cancel_requested_at=now,
                cancelled_at=now,
                cancel_reason=CancelReason.PAYMENT_FAILED,
                next_charge_at=None,
                updated_at=now,
            )
            if cancelled:
                _announce_cancellation(subscription.pk)
        else:
            Subscription.objects.filter(pk=subscription.pk, state=SubscriptionState.ACTIVE).update(
                state=SubscriptionState.PAST_DUE, updated_at=now
            )
        _announce_failure(subscription.pk, charge.pk, final)
    return "cancelled" if final else "refused"


def _announce_failure(subscription_id: int, charge_id: int, final: bool) -> None:
    def announce() -> None:
        subscription = Subscription.objects.filter(pk=subscription_id).first()
        charge = SubscriptionCharge.objects.filter(pk=charge_id).first()
        if subscription is None or charge is None:  # pragma: no cover - deleted in between
            return
        subscription_payment_failed.send_robust(
            sender=subscription, subscription=subscription, charge=charge, final=final
        )
        if not final:
            from .subscription_emails import send_subscription_email

            send_subscription_email(subscription, "failed", charge=charge)

    transaction.on_commit(announce, robust=True)


def charge_now(
    subscription: Subscription, *, user: Any = None, transport: Transport | None = None
) -> str:
    """Send a due (or past due) renewal now instead of at the sweep's next run or the end of
    its back-off; what happened, as the sweep counts it. Raises ``SubscriptionRefusedHere``
    when nothing is due."""
    subscription.refresh_from_db()
    now = timezone.now()
    if not subscription.is_chargeable:
        raise SubscriptionRefusedHere(_("Only an active or past due subscription is charged."))
    if subscription.next_charge_at is None or subscription.next_charge_at > now:
        if subscription.next_charge_at is None:
            raise SubscriptionRefusedHere(_("Nothing is due."))
        when = formats.date_format(timezone.localtime(subscription.next_charge_at), "DATE_FORMAT")
        raise SubscriptionRefusedHere(
            _("Nothing is due yet: the next renewal is on %(when)s.") % {"when": when}
        )
    return _charge_due(subscription, now, transport or Transport.interactive(), user=user)


__all__ = ["CLAIM", "Renewals", "charge_now", "claim", "renew_subscriptions"]
