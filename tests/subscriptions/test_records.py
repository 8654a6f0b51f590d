"""What the database itself keeps true about subscriptions, and the figures derived from them."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from wagtail_robokassa.models import Subscription, SubscriptionCharge, SubscriptionState
from wagtail_robokassa.services.periods import add_months, period_start
from wagtail_robokassa.services.subscriptions import RecurringRevenue, monthly_recurring_revenue

pytestmark = pytest.mark.django_db


def subscription(**fields):
    values = {
        "merchant_login": "demo",
        "email": "b@example.com",
        "description": "Клуб",
        "amount": Decimal("990.00"),
        "first_amount": Decimal("990.00"),
        "state": SubscriptionState.ACTIVE,
    } | fields
    return Subscription.objects.create(**values)


def test_one_charge_a_period_is_the_databases_rule():
    owner = subscription()
    now = datetime(2027, 1, 1, tzinfo=UTC)
    SubscriptionCharge.objects.create(subscription=owner, period=2, amount=owner.amount, due_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        SubscriptionCharge.objects.create(
            subscription=owner, period=2, amount=owner.amount, due_at=now
        )
    SubscriptionCharge.objects.create(subscription=owner, period=3, amount=owner.amount, due_at=now)


@pytest.mark.parametrize("field", ["amount", "first_amount"])
def test_amounts_are_positive(field):
    with pytest.raises(IntegrityError), transaction.atomic():
        subscription(**{field: Decimal(0)})


def test_months_do_not_drift():
    start = datetime(2027, 1, 31, 12, tzinfo=UTC)
    assert add_months(start, 1) == datetime(2027, 2, 28, 12, tzinfo=UTC)
    assert add_months(start, 2) == datetime(2027, 3, 31, 12, tzinfo=UTC)
    assert add_months(start, 13) == datetime(2028, 2, 29, 12, tzinfo=UTC)
    monthly = Subscription(started_at=start, period="month")
    assert [period_start(monthly, n).day for n in (1, 2, 3, 4)] == [31, 28, 31, 30]
    trial = Subscription(started_at=start, period="quarter", trial_days=7)
    assert period_start(trial, 2) == datetime(2027, 2, 7, 12, tzinfo=UTC)
    assert period_start(trial, 3) == datetime(2027, 5, 7, 12, tzinfo=UTC)
    days = Subscription(started_at=start, period="days", period_days=10)
    assert period_start(days, 3) == datetime(2027, 2, 20, 12, tzinfo=UTC)
    assert period_start(Subscription(period="month"), 2) is None


def test_monthly_recurring_revenue_counts_live_chargeable_subscriptions_a_month():
    subscription(amount=Decimal("990.00"))
    subscription(amount=Decimal("3000.00"), period="quarter")
    subscription(amount=Decimal("12000.00"), period="year")
    subscription(amount=Decimal("100.00"), period="days", period_days=10)
    subscription(amount=Decimal("500.00"), state=SubscriptionState.PAST_DUE)
    subscription(amount=Decimal("777.00"), is_test=True)
    subscription(amount=Decimal("777.00"), state=SubscriptionState.CANCELLED)
    subscription(amount=Decimal("777.00"), state=SubscriptionState.PENDING)
    expected = Decimal("990") + 1000 + 1000 + 300 + 500
    assert monthly_recurring_revenue() == RecurringRevenue(expected, 5)
    assert monthly_recurring_revenue(test=True) == RecurringRevenue(Decimal("777.00"), 1)
