"""Subscriptions: the only code that creates a ``Subscription`` and changes its state.

1. ``start_subscription`` records the subscription and its first payment's invoice together and
   signs that payment with ``Recurring=true``; nothing is charged again until the Result URL
   records the first payment (``note_subscription_payment``, inside the delivery's
   transaction): then the subscription is active and ``subscription_started`` is sent.
2. Renewals are ``services.renewals``' (the sweep); each one's payment arrives on the Result URL
   like any other and ``note_subscription_payment`` marks that period paid, once.
3. ``cancel_subscription`` stops every later charge. While a renewal is being sent at that very
   moment, the cancellation is asked for (no new charge can start) and completes when the
   request has been answered, so the subscription is never charged after it is cancelled.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..conf import MerchantConfig
from ..models import (
    CHARGEABLE_STATES,
    OPEN_SUBSCRIPTION_STATES,
    AttemptState,
    BillingPeriod,
    CancelReason,
    ChargeAttempt,
    ChargeState,
    Invoice,
    Subscription,
    SubscriptionCharge,
    SubscriptionState,
    SuccessNotification,
)
from ..protocol import Receipt
from ..signals import (
    send,
    subscription_cancelled,
    subscription_renewed,
    subscription_started,
)
from .payments import PaymentStart, start_payment
from .periods import period_start
from .receipts import receipt_for
from .storable import storable

logger = logging.getLogger("wagtail_robokassa.subscriptions")

#: The longest period of days, and the longest trial.
MAX_DAYS = 366


class SubscriptionRefusedHere(Exception):
    """The plugin will not start, charge or cancel this (``str()`` says why, for people)."""


@dataclass(frozen=True)
class Terms:
    """What the buyer agrees to: ``amount`` every period, ``first_amount`` now (covering the
    first period, or ``trial_days``), for ``max_payments`` payments in all (None: until
    cancelled)."""

    amount: Decimal
    period: str = BillingPeriod.MONTH
    period_days: int | None = None
    first_amount: Decimal | None = None
    trial_days: int | None = None
    max_payments: int | None = None

    def checked(self) -> Terms:
        """These terms, or ``SubscriptionRefusedHere`` saying what is wrong."""
        amount = _money(self.amount, _("The price"))
        first = _money(self.first_amount, _("The first payment")) if self.first_amount else amount
        if self.period not in BillingPeriod.values:
            raise SubscriptionRefusedHere(_("A period is a month, a quarter, a year or days."))
        days = self.period_days if self.period == BillingPeriod.DAYS else None
        if self.period == BillingPeriod.DAYS and not _in_days(days):
            raise SubscriptionRefusedHere(
                _("A period of days is from 1 to %(max)s days.") % {"max": MAX_DAYS}
            )
        if self.trial_days is not None and not _in_days(self.trial_days):
            raise SubscriptionRefusedHere(
                _("A first period is from 1 to %(max)s days.") % {"max": MAX_DAYS}
            )
        if self.max_payments is not None and not (
            isinstance(self.max_payments, int) and 2 <= self.max_payments <= 1000
        ):
            raise SubscriptionRefusedHere(_("A subscription has from 2 to 1000 payments."))
        return Terms(amount, self.period, days, first, self.trial_days or None, self.max_payments)


def _in_days(days: Any) -> bool:
    return isinstance(days, int) and not isinstance(days, bool) and 1 <= days <= MAX_DAYS


def _money(amount: Any, what: str) -> Decimal:
    """``amount`` as a positive ``Decimal`` in kopecks, or ``SubscriptionRefusedHere``."""
    fine = isinstance(amount, Decimal | int) and not isinstance(amount, bool)
    try:
        value = Decimal(amount) if fine else Decimal(0)
        fine = fine and value.is_finite() and value == value.quantize(Decimal("0.01"))
        fine = fine and Decimal(0) < value < Decimal("100000000")
    except InvalidOperation:
        fine = False
    if not fine:
        raise SubscriptionRefusedHere(
            _("%(what)s must be more than 0, in roubles and kopecks.") % {"what": what}
        )
    return value


def recurring_refusal(config: MerchantConfig) -> str:
    """Why this shop cannot take subscriptions, or ``""`` when it can."""
    if not config.recurring_enabled:
        return _(
            "Recurring payments are off in Settings → ROBOKASSA. Turn them on once ROBOKASSA "
            "has enabled them for the shop (it does so by agreement, for bank cards)."
        )
    return ""


def subscriptions_possible() -> str:
    """For the editor: why no shop of this installation takes subscriptions, or ``""`` when
    one does (the Site a page will be on is not known while it is edited)."""
    from ..conf import server_values
    from ..models import RobokassaSettings

    server = server_values()
    if "recurring_enabled" in server:
        enabled = bool(server["recurring_enabled"])
    else:
        enabled = RobokassaSettings.objects.filter(recurring_enabled=True).exists()
    return "" if enabled else recurring_refusal(MerchantConfig())


def terms_of_block(value: Any) -> Terms:
    """A payment block's subscription terms."""
    terms = value.get("subscription") or {}
    return Terms(
        amount=value["amount"],
        period=terms.get("period") or BillingPeriod.MONTH,
        period_days=terms.get("period_days"),
        first_amount=terms.get("first_amount"),
        trial_days=terms.get("trial_days"),
        max_payments=terms.get("max_payments"),
    )


@dataclass(frozen=True)
class SubscriptionStart:
    """A recorded subscription and its first payment (POST ``payment.params`` to its target)."""

    subscription: Subscription
    payment: PaymentStart


def start_subscription(
    config: MerchantConfig,
    *,
    terms: Terms,
    description: str,
    email: str,
    receipt: Receipt | None = None,
    renewal_receipt: Receipt | None = None,
    site: Any = None,
    page: Any = None,
    block_id: str = "",
    reference: str = "",
) -> SubscriptionStart:
    """Record a subscription and sign its first payment (``Recurring=true``). ``receipt`` is
    the first payment's, ``renewal_receipt`` every renewal's; with receipts on in the settings
    and none given, a one-line receipt of the description. Raises ``SubscriptionRefusedHere``,
    and ``ImproperlyConfigured`` when the shop's passwords are missing."""
    refusal = recurring_refusal(config)
    if refusal:
        raise SubscriptionRefusedHere(refusal)
    terms = terms.checked()
    email = (email or "").strip()
    if not email or "@" not in email or len(email) > 254:
        raise SubscriptionRefusedHere(_("A subscription needs the buyer's e-mail."))
    description = storable(str(description or "").strip())[:100]
    if not description:
        raise SubscriptionRefusedHere(_("A subscription needs a description."))
    assert terms.first_amount is not None  # checked() fills it in
    value = {"description": description}
    if receipt is None and config.send_receipts:
        receipt = receipt_for(value, terms.first_amount, config)
    if renewal_receipt is None and config.send_receipts:
        renewal_receipt = receipt_for(value, terms.amount, config)
    for given, amount in ((receipt, terms.first_amount), (renewal_receipt, terms.amount)):
        if given is not None and given.total != amount:
            raise SubscriptionRefusedHere(
                _("The receipt's lines add up to %(total)s, not %(amount)s.")
                % {"total": given.total, "amount": amount}
            )
    with transaction.atomic():
        subscription = Subscription.objects.create(
            site=site,
            page=page,
            block_id=block_id,
            merchant_login=config.login,
            is_test=config.test_mode,
            email=email,
            description=description,
            amount=terms.amount,
            first_amount=terms.first_amount,
            period=terms.period,
            period_days=terms.period_days,
            trial_days=terms.trial_days,
            max_payments=terms.max_payments,
            receipt=renewal_receipt.to_dict() if renewal_receipt is not None else None,
            reference=reference[:255],
            language=translation.get_language() or "",
        )
        payment = start_payment(
            config,
            amount=terms.first_amount,
            description=description,
            email=email,
            receipt=receipt,
            site=site,
            page=page,
            block_id=block_id,
            reference=reference,
            recurring=True,
            subscription=subscription,
        )
        subscription.parent_invoice = payment.invoice
        subscription.save(update_fields=["parent_invoice"])
    logger.info(
        "ROBOKASSA subscription %s started with InvId %s", subscription.pk, payment.invoice.pk
    )
    return SubscriptionStart(subscription, payment)


def note_subscription_payment(
    invoice: Invoice,
    notification: SuccessNotification | None,
    *,
    notification_id: int | None = None,
    request: Any = None,
    callback: Any = None,
) -> Subscription | None:
    """Inside the transaction that recorded a new payment of ``invoice``: when it is a
    subscription's first payment or a renewal, move the subscription on and send
    ``subscription_started`` / ``subscription_renewed``. Doing it twice changes nothing."""
    if invoice.subscription_id is None:
        return None
    subscription = (
        Subscription.objects.select_for_update().filter(pk=invoice.subscription_id).first()
    )
    if subscription is None:  # pragma: no cover - protected by the foreign key
        return None
    now = timezone.now()
    if invoice.pk == subscription.parent_invoice_id:
        if notification_id is None:  # healed by the sweep: the notification is stored
            notification_id = getattr(notification, "pk", None) or (
                SuccessNotification.objects.filter(invoice=invoice)
                .values_list("pk", flat=True)
                .first()
            )
        started = _start(subscription, notification_id, now)
        if started and subscription_started.has_listeners():
            _send(subscription_started, subscription, invoice, notification, request, callback)
        if started:
            _email_on_commit(subscription, "started")
        return subscription
    attempt = ChargeAttempt.objects.select_related("charge").filter(invoice=invoice).first()
    if attempt is None:
        logger.error(
            "ROBOKASSA InvId %s names subscription %s but no renewal of it",
            invoice.pk,
            subscription.pk,
        )
        return subscription
    renewed = _renew(subscription, attempt, now)
    if renewed and subscription_renewed.has_listeners():
        _send(
            subscription_renewed,
            subscription,
            invoice,
            notification,
            request,
            callback,
            charge=attempt.charge,
        )
    return subscription


def _start(subscription: Subscription, notification_id: int | None, now: datetime) -> bool:
    if subscription.payments_made:
        return False
    subscription.started_at = now
    subscription.payments_made = 1
    subscription.parent_notification_id = notification_id
    subscription.paid_until = period_start(subscription, 2)
    fields = ["started_at", "payments_made", "parent_notification", "paid_until"]
    if subscription.state in (SubscriptionState.PENDING, SubscriptionState.ENDED):
        # A first payment that came after the subscription was given up on still starts it:
        # the buyer paid, and expects what they paid for.
        subscription.state = SubscriptionState.ACTIVE
        subscription.next_charge_at = subscription.paid_until
        subscription.ended_at = None
        fields += ["state", "next_charge_at", "ended_at"]
    subscription.save(update_fields=[*fields, "updated_at"])
    return True


def _renew(subscription: Subscription, attempt: ChargeAttempt, now: datetime) -> bool:
    """Mark the attempt's period paid; False when it already was (a second payment for one
    period is logged for a refund: ROBOKASSA should never take it)."""
    noted = ChargeAttempt.objects.filter(pk=attempt.pk).exclude(state=AttemptState.PAID)
    if not noted.update(state=AttemptState.PAID, answered_at=now):
        return False  # this payment moved the subscription on already
    charge = attempt.charge
    taken = SubscriptionCharge.objects.filter(pk=charge.pk).exclude(state=ChargeState.PAID)
    if not taken.update(state=ChargeState.PAID, paid_at=now, next_attempt_at=None, message=""):
        message = _("Paid twice: InvId %(inv_id)s also paid this period; refund one of them.") % {
            "inv_id": attempt.invoice_id
        }
        SubscriptionCharge.objects.filter(pk=charge.pk).update(message=message[:300])
        logger.error(
            "ROBOKASSA subscription %s period %s paid twice", subscription.pk, charge.period
        )
        return False
    charge.state, charge.paid_at = ChargeState.PAID, now
    if charge.period != subscription.payments_made + 1:  # pragma: no cover - charges go in order
        logger.error(
            "ROBOKASSA subscription %s paid period %s out of order", subscription.pk, charge.period
        )
        return True
    subscription.payments_made = charge.period
    subscription.paid_until = period_start(subscription, charge.period + 1)
    fields = ["payments_made", "paid_until"]
    if subscription.state in CHARGEABLE_STATES:
        done = subscription.max_payments and subscription.payments_made >= subscription.max_payments
        subscription.state = SubscriptionState.ENDED if done else SubscriptionState.ACTIVE
        subscription.next_charge_at = None if done else subscription.paid_until
        subscription.ended_at = now if done else None
        fields += ["state", "next_charge_at", "ended_at"]
    subscription.save(update_fields=[*fields, "updated_at"])
    return True


def _send(
    signal: Any,
    subscription: Subscription,
    invoice: Invoice,
    notification: Any,
    request: Any,
    callback: Any,
    **more: Any,
) -> None:
    if callback is not None:
        send(
            signal,
            sender=subscription,
            callback=callback,
            invoice=invoice,
            request=request,
            subscription=subscription,
            notification=notification,
            **more,
        )
    else:
        signal.send(
            sender=subscription,
            subscription=subscription,
            invoice=invoice,
            request=request,
            notification=notification,
            **more,
        )


def cancel_subscription(
    subscription: Subscription,
    *,
    reason: str = CancelReason.SHOP,
    user: Any = None,
) -> Subscription:
    """Stop every later charge of ``subscription`` and return it as it is now. When a renewal
    is being sent at this moment, the cancellation completes as soon as it is answered (the
    subscription's ``cancel_requested_at`` is set at once, and nothing new is charged). Raises
    ``SubscriptionRefusedHere`` when it is already over."""
    if reason not in CancelReason.values:
        raise SubscriptionRefusedHere(_("Unknown reason for a cancellation."))
    now = timezone.now()
    who = user if getattr(user, "pk", None) else None
    mine = Subscription.objects.filter(
        pk=subscription.pk, state__in=OPEN_SUBSCRIPTION_STATES, cancel_requested_at__isnull=True
    )
    with transaction.atomic():
        done = mine.filter(Q(charging_until__isnull=True) | Q(charging_until__lt=now)).update(
            state=SubscriptionState.CANCELLED,
            cancel_requested_at=now,
            cancelled_at=now,
            cancel_reason=reason,
            cancelled_by=who,
            next_charge_at=None,
            updated_at=now,
        )
        asked = done or mine.update(
            cancel_requested_at=now, cancel_reason=reason, cancelled_by=who, updated_at=now
        )
        if not asked:
            subscription.refresh_from_db()
            if subscription.cancel_requested_at is not None:
                return subscription  # cancelled before: nothing more to do
            raise SubscriptionRefusedHere(_("This subscription has already ended."))
        SubscriptionCharge.objects.filter(
            subscription=subscription, state=ChargeState.SCHEDULED
        ).update(state=ChargeState.CANCELLED, next_attempt_at=None, updated_at=now)
        if done:
            _announce_cancellation(subscription.pk)
    subscription.refresh_from_db()
    logger.info("ROBOKASSA subscription %s cancelled (%s)", subscription.pk, reason)
    return subscription


def finish_cancellation(subscription_id: int, now: datetime | None = None) -> bool:
    """Complete a cancellation asked for while a renewal was being sent, once no renewal is
    being sent; True when it completed now."""
    now = now or timezone.now()
    with transaction.atomic():
        done = Subscription.objects.filter(
            Q(charging_until__isnull=True) | Q(charging_until__lt=now),
            pk=subscription_id,
            state__in=OPEN_SUBSCRIPTION_STATES,
            cancel_requested_at__isnull=False,
        ).update(
            state=SubscriptionState.CANCELLED,
            cancelled_at=now,
            next_charge_at=None,
            charging_until=None,
            updated_at=now,
        )
        if done:
            SubscriptionCharge.objects.filter(
                subscription_id=subscription_id, state=ChargeState.SCHEDULED
            ).update(state=ChargeState.CANCELLED, next_attempt_at=None, updated_at=now)
            _announce_cancellation(subscription_id)
    return bool(done)


def _announce_cancellation(subscription_id: int) -> None:
    """After the cancellation commits: ``subscription_cancelled`` and the buyer's e-mail."""

    def announce() -> None:
        subscription = Subscription.objects.filter(pk=subscription_id).first()
        if subscription is None:  # pragma: no cover - deleted in between
            return
        subscription_cancelled.send_robust(
            sender=subscription,
            subscription=subscription,
            reason=subscription.cancel_reason,
            user=subscription.cancelled_by,
        )
        from .subscription_emails import send_subscription_email

        send_subscription_email(subscription, "cancelled")

    transaction.on_commit(announce, robust=True)


def _email_on_commit(subscription: Subscription, kind: str, **context: Any) -> None:
    from .subscription_emails import send_subscription_email

    transaction.on_commit(
        lambda: send_subscription_email(subscription, kind, **context), robust=True
    )


@dataclass(frozen=True)
class RecurringRevenue:
    """What the chargeable subscriptions bring a month, and how many there are."""

    amount: Decimal
    subscriptions: int


def monthly_recurring_revenue(*, test: bool = False, queryset: Any = None) -> RecurringRevenue:
    """The monthly recurring revenue of the live (or test) subscriptions that will be charged
    again: a quarter's price / 3, a year's / 12, a period of days times 30 / days."""
    from .periods import MONTHS

    rows = (queryset if queryset is not None else Subscription.objects).filter(
        state__in=CHARGEABLE_STATES, is_test=test, cancel_requested_at__isnull=True
    )
    groups = (
        rows.values("period", "period_days")
        .annotate(total=Sum("amount"), count=Count("id"))
        .order_by()
    )
    amount, count = Decimal(0), 0
    for group in groups:
        months = MONTHS.get(group["period"])
        total = group["total"] or Decimal(0)
        amount += total / months if months else total * 30 / (group["period_days"] or 30)
        count += group["count"]
    return RecurringRevenue(amount.quantize(Decimal("0.01")), count)


__all__ = [
    "RecurringRevenue",
    "SubscriptionRefusedHere",
    "SubscriptionStart",
    "Terms",
    "cancel_subscription",
    "finish_cancellation",
    "monthly_recurring_revenue",
    "note_subscription_payment",
    "recurring_refusal",
    "start_subscription",
    "subscriptions_possible",
    "terms_of_block",
]
