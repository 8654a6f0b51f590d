"""Renewals under concurrency, on a real PostgreSQL with the emulator over HTTP: several sweeps
at once over the same due subscriptions charge each period once; a cancellation racing a sweep
is never followed by a charge."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.status.test_reconcile_concurrency import together
from wagtail_robokassa.contrib.emulator.models import EmulatedOperation
from wagtail_robokassa.models import (
    CancelReason,
    ChargeAttempt,
    Invoice,
    InvoiceStatus,
    Subscription,
    SubscriptionCharge,
    SubscriptionState,
)
from wagtail_robokassa.services.renewals import renew_subscriptions
from wagtail_robokassa.services.subscriptions import cancel_subscription

pytestmark = [pytest.mark.postgres]
SWEEPS = 6


def due_subscription(config, number):
    """An active subscription whose second month is due, with its paid first payment at the
    emulator."""
    now = timezone.now()
    invoice = Invoice.objects.create(
        merchant_login=config.login,
        is_test=True,
        amount=Decimal("990.00"),
        description="Клуб",
        status=InvoiceStatus.PAID,
    )
    EmulatedOperation.objects.create(
        merchant_login=config.login,
        inv_id=invoice.pk,
        out_sum=invoice.amount,
        state=EmulatedOperation.PAID,
        recurring=True,
        is_test=True,
    )
    return Subscription.objects.create(
        merchant_login=config.login,
        is_test=True,
        email=f"buyer{number}@example.com",
        description="Клуб",
        amount=Decimal("990.00"),
        first_amount=Decimal("990.00"),
        state=SubscriptionState.ACTIVE,
        parent_invoice=invoice,
        payments_made=1,
        started_at=now - timedelta(days=31),
        paid_until=now - timedelta(minutes=1),
        next_charge_at=now - timedelta(minutes=1),
    )


def test_several_sweeps_at_once_charge_each_period_once(renewal_service):
    subscriptions = [due_subscription(renewal_service, n) for n in range(5)]
    results = together(*[renew_subscriptions] * SWEEPS)
    assert sum(counts.get("accepted", 0) for counts in results) == 5
    for subscription in subscriptions:
        subscription.refresh_from_db()
        assert subscription.payments_made == 2, subscription.pk
        assert SubscriptionCharge.objects.filter(subscription=subscription).count() == 1
        assert ChargeAttempt.objects.filter(charge__subscription=subscription).count() == 1
        parent = subscription.parent_invoice_id
        assert EmulatedOperation.objects.filter(parent__inv_id=parent).count() == 1
    # And again, a month later: one more charge each, never two.
    later = timezone.now() + timedelta(days=32)
    together(*[lambda: renew_subscriptions(now=later)] * SWEEPS)
    for subscription in subscriptions:
        subscription.refresh_from_db()
        assert subscription.payments_made == 3
        assert ChargeAttempt.objects.filter(charge__subscription=subscription).count() == 2


@pytest.mark.parametrize("round_number", range(8))
def test_a_cancel_racing_a_sweep_is_never_followed_by_a_charge(renewal_service, round_number):
    subscription = due_subscription(renewal_service, round_number)
    together(
        renew_subscriptions,
        lambda: cancel_subscription(subscription, reason=CancelReason.BUYER),
    )
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.CANCELLED
    assert subscription.cancelled_at is not None
    charges = EmulatedOperation.objects.filter(parent__inv_id=subscription.parent_invoice_id)
    assert charges.count() <= 1
    for charge in charges:
        assert charge.created_at <= subscription.cancelled_at
    # Nothing later either.
    renew_subscriptions(now=timezone.now() + timedelta(days=400))
    assert charges.count() <= 1
