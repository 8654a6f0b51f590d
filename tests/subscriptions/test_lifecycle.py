"""A subscription from the block to its end, over HTTP against the emulator: subscribe → first
payment (``Recurring=true``) → two renewals → a refused charge → retries → past due →
cancelled; a lost renewal notification found by the status interface; an answer lost after
ROBOKASSA took the renewal, checked and never sent again."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from tests.subscriptions.conftest import subscribe, subscription_value
from tests.wagtail.conftest import publish_shop_page
from wagtail_robokassa.contrib.emulator.models import (
    EmulatedOperation,
    EmulatorSwitches,
    RecurringOutcome,
)
from wagtail_robokassa.models import (
    AttemptState,
    CancelReason,
    ChargeAttempt,
    ChargeState,
    Invoice,
    InvoiceStatus,
    Subscription,
    SubscriptionCharge,
    SubscriptionState,
    SuccessNotification,
)
from wagtail_robokassa.services.renewals import renew_subscriptions
from wagtail_robokassa.signals import (
    subscription_cancelled,
    subscription_payment_failed,
    subscription_renewed,
    subscription_started,
)


def pay_first(client, fields):
    """The buyer on ROBOKASSA's page (the emulator), pressing Pay."""
    page = client.post("/emulator/Merchant/Index.aspx", dict(fields))
    assert page.status_code == 200, page.content.decode()
    operation = EmulatedOperation.objects.latest("pk")
    assert operation.recurring
    paid = client.post(f"/emulator/Merchant/Pay/{operation.pk}/")
    assert paid.status_code == 302, paid.content.decode()
    return operation


def switch(outcome):
    EmulatorSwitches.objects.update_or_create(pk=1, defaults={"recurring_outcome": outcome})


def later(subscription, days=1):
    """A moment after the subscription's next charge is due."""
    subscription.refresh_from_db()
    return subscription.next_charge_at + timedelta(days=days)


class Listen:
    def __init__(self, *signals):
        self.calls = []
        self.signals = signals
        for signal in signals:
            signal.connect(self.receive)

    def receive(self, sender, signal, **kwargs):
        self.calls.append((signal, kwargs))

    def close(self):
        for signal in self.signals:
            signal.disconnect(self.receive)

    def of(self, signal):
        return [kwargs for sent, kwargs in self.calls if sent is signal]


@pytest.fixture
def listen():
    listener = Listen(
        subscription_started,
        subscription_renewed,
        subscription_payment_failed,
        subscription_cancelled,
    )
    yield listener
    listener.close()


def test_subscribe_renew_twice_then_refused_retried_past_due_cancelled(
    client, subscription_page, listen, settings
):
    fields = subscribe(client, subscription_page)
    assert ("Recurring", "true") in fields
    subscription = Subscription.objects.get()
    assert subscription.state == SubscriptionState.PENDING
    assert dict(fields)["InvId"] == str(subscription.parent_invoice_id)

    pay_first(client, fields)
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.ACTIVE
    assert subscription.payments_made == 1
    assert subscription.parent_notification is not None
    assert subscription.next_charge_at == subscription.paid_until
    assert len(listen.of(subscription_started)) == 1
    assert "has started" in mail.outbox[-1].subject
    assert "/robokassa/subscription/" in mail.outbox[-1].body

    # Nothing is due before the month has passed.
    assert renew_subscriptions(now=timezone.now()) == {}

    for period in (2, 3):
        counts = renew_subscriptions(now=later(subscription))
        assert counts == {"accepted": 1}
        subscription.refresh_from_db()
        assert subscription.payments_made == period
        charge = SubscriptionCharge.objects.get(subscription=subscription, period=period)
        assert charge.state == ChargeState.PAID
        attempt = charge.attempt_records.get()
        assert attempt.state == AttemptState.PAID
        assert attempt.invoice.status == InvoiceStatus.PAID
        assert attempt.invoice.subscription == subscription
        assert SuccessNotification.objects.filter(inv_id=attempt.invoice_id).count() == 1
        renewal = EmulatedOperation.objects.get(inv_id=attempt.invoice_id)
        assert renewal.parent.inv_id == subscription.parent_invoice_id
    assert len(listen.of(subscription_renewed)) == 2
    assert subscription.next_charge_at == subscription.period_start(4)

    switch(RecurringOutcome.REFUSED)
    due = later(subscription)
    assert renew_subscriptions(now=due) == {"refused": 1}
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.PAST_DUE
    charge = SubscriptionCharge.objects.get(subscription=subscription, period=4)
    assert (charge.state, charge.failures) == (ChargeState.SCHEDULED, 1)
    assert charge.next_attempt_at == due + timedelta(days=1)
    assert "could not renew" in mail.outbox[-1].subject
    # The back-off holds: an hour later, nothing is sent.
    assert renew_subscriptions(now=due + timedelta(hours=1)) == {}
    for failures in (2, 3):
        due = charge.next_attempt_at
        assert renew_subscriptions(now=due) == {"refused": 1}
        charge.refresh_from_db()
        assert charge.failures == failures
        assert charge.next_attempt_at == due + timedelta(days={2: 3, 3: 7}[failures])
    assert renew_subscriptions(now=charge.next_attempt_at) == {"cancelled": 1}
    subscription.refresh_from_db()
    charge.refresh_from_db()
    assert subscription.state == SubscriptionState.CANCELLED
    assert subscription.cancel_reason == CancelReason.PAYMENT_FAILED
    assert charge.state == ChargeState.FAILED
    assert charge.attempts == 4
    failed = listen.of(subscription_payment_failed)
    assert [call["final"] for call in failed] == [False, False, False, True]
    assert listen.of(subscription_cancelled)[0]["reason"] == CancelReason.PAYMENT_FAILED
    assert "is cancelled" in mail.outbox[-1].subject
    # A cancelled subscription is never charged again.
    switch(RecurringOutcome.PAID)
    assert renew_subscriptions(now=due + timedelta(days=400)) == {}
    assert ChargeAttempt.objects.filter(charge__subscription=subscription).count() == 6
    refused = Invoice.objects.filter(subscription=subscription, status=InvoiceStatus.CANCELLED)
    assert refused.count() == 4


def test_a_lost_renewal_notification_is_found_by_the_status_interface(
    client, subscription_page, listen
):
    pay_first(client, subscribe(client, subscription_page))
    subscription = Subscription.objects.get()
    switch(RecurringOutcome.NOT_NOTIFIED)
    due = later(subscription)
    assert renew_subscriptions(now=due) == {"accepted": 1}
    charge = SubscriptionCharge.objects.get(period=2)
    assert charge.state == ChargeState.WAITING
    subscription.refresh_from_db()
    assert subscription.payments_made == 1
    # Not yet asked about: it waits for its notification first.
    assert renew_subscriptions(now=timezone.now()) == {}
    found = renew_subscriptions(now=timezone.now() + timedelta(hours=2))
    assert found == {"renewed": 1}
    charge.refresh_from_db()
    subscription.refresh_from_db()
    assert charge.state == ChargeState.PAID
    assert subscription.payments_made == 2
    notification = SuccessNotification.objects.get(inv_id=charge.attempt_records.get().invoice_id)
    assert notification.source == "status_check"
    assert len(listen.of(subscription_renewed)) == 1


def test_an_answer_lost_after_the_renewal_was_taken_is_checked_not_resent(
    client, subscription_page
):
    pay_first(client, subscribe(client, subscription_page))
    subscription = Subscription.objects.get()
    switch(RecurringOutcome.ANSWER_LOST)
    due = later(subscription)
    assert renew_subscriptions(now=due) == {"uncertain": 1}
    attempt = ChargeAttempt.objects.get()
    assert attempt.state == AttemptState.UNKNOWN
    assert attempt.invoice.status == InvoiceStatus.PENDING
    switch(RecurringOutcome.PAID)
    # Sweeps before the check is due (an hour after sending) send nothing.
    assert renew_subscriptions(now=timezone.now() + timedelta(minutes=5)) == {}
    assert renew_subscriptions(now=timezone.now() + timedelta(hours=2)) == {"renewed": 1}
    assert EmulatedOperation.objects.filter(parent__isnull=False).count() == 1
    assert ChargeAttempt.objects.count() == 1
    subscription.refresh_from_db()
    assert subscription.payments_made == 2


def test_a_declined_card_is_found_and_retried(client, subscription_page):
    pay_first(client, subscribe(client, subscription_page))
    subscription = Subscription.objects.get()
    switch(RecurringOutcome.DECLINED)
    due = later(subscription)
    assert renew_subscriptions(now=due) == {"accepted": 1}
    assert renew_subscriptions(now=due + timedelta(hours=2)) == {"refused": 1}
    charge = SubscriptionCharge.objects.get()
    assert (charge.state, charge.failures) == (ChargeState.SCHEDULED, 1)
    switch(RecurringOutcome.PAID)
    assert renew_subscriptions(now=charge.next_attempt_at) == {"accepted": 1}
    charge.refresh_from_db()
    assert charge.state == ChargeState.PAID
    assert charge.attempt_records.count() == 2
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.ACTIVE


def test_a_trial_with_a_first_amount_and_a_limited_number_of_payments(
    client, renewal_service, home
):
    value = subscription_value(first_amount=Decimal("1.00"), trial_days=7, max_payments=2)
    page = publish_shop_page(home, [("payment", value)], slug="trial")
    html = client.get(page.url).content.decode()
    assert "1.00\xa0₽ today for the first 7 days, then 990.00\xa0₽ every month" in html
    assert "2 payments in all" in html
    fields = dict(subscribe(client, page))
    assert fields["OutSum"] == "1.00"
    pay_first(client, list(fields.items()))
    subscription = Subscription.objects.get()
    assert subscription.paid_until - subscription.started_at == timedelta(days=7)
    assert renew_subscriptions(now=later(subscription)) == {"accepted": 1}
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.ENDED
    assert subscription.next_charge_at is None
    renewal = EmulatedOperation.objects.get(parent__isnull=False)
    assert renewal.out_sum == Decimal("990.00")
    assert renew_subscriptions(now=timezone.now() + timedelta(days=400)) == {}


def test_a_subscription_whose_first_payment_never_comes_ends(client, subscription_page):
    subscribe(client, subscription_page)
    subscription = Subscription.objects.get()
    assert renew_subscriptions(now=timezone.now() + timedelta(days=8)) == {"ended": 1}
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.ENDED
