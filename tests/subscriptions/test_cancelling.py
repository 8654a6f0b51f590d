"""Cancelling: the buyer from the signed link in every e-mail (a tampered or replayed link is
refused, a GET changes nothing, CSRF is required), shop code, and a cancellation asked for while
a renewal is being sent."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from tests.subscriptions.conftest import subscribe
from tests.subscriptions.test_lifecycle import later, pay_first
from wagtail_robokassa.models import (
    CancelReason,
    ChargeState,
    Subscription,
    SubscriptionCharge,
    SubscriptionState,
)
from wagtail_robokassa.services.renewals import claim, renew_subscriptions
from wagtail_robokassa.services.subscription_emails import subscription_token, subscription_url
from wagtail_robokassa.services.subscriptions import (
    SubscriptionRefusedHere,
    cancel_subscription,
)


@pytest.fixture
def active(client, subscription_page):
    pay_first(client, subscribe(client, subscription_page))
    return Subscription.objects.get()


def page_of(subscription):
    return f"/robokassa/subscription/{subscription_token(subscription)}/"


def test_the_link_in_the_e_mail_leads_to_the_page(active):
    assert subscription_url(active) in mail.outbox[-1].body
    assert subscription_url(active).startswith("http")


def test_a_get_shows_the_subscription_and_cancels_nothing(client, active):
    response = client.get(page_of(active))
    assert response.status_code == 200
    assert "Клуб" in response.content.decode()
    assert "Cancel the subscription" in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    active.refresh_from_db()
    assert active.state == SubscriptionState.ACTIVE


def test_the_buyer_cancels_with_a_post(client, active):
    response = client.post(page_of(active), {"action": "cancel"})
    assert response.status_code == 200
    assert 'data-testid="cancelled-now"' in response.content.decode()
    active.refresh_from_db()
    assert active.state == SubscriptionState.CANCELLED
    assert active.cancel_reason == CancelReason.BUYER
    assert active.is_current  # the month paid for stays the buyer's
    assert "is cancelled" in mail.outbox[-1].subject
    # A replay of the same request changes nothing and says so.
    again = client.post(page_of(active), {"action": "cancel"})
    assert again.status_code == 409
    assert renew_subscriptions(now=timezone.now() + timedelta(days=400)) == {}


def test_the_cancel_needs_csrf(active):
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(page_of(active), {"action": "cancel"}).status_code == 403
    active.refresh_from_db()
    assert active.state == SubscriptionState.ACTIVE


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),
        lambda token: "x" + token,
        lambda token: token.split(":")[0],
        lambda token: token.split(":")[0] + ":" + "0" * 27,
        lambda token: "%00",
        lambda token: "%ED%A0%80",  # a lone surrogate, as bytes
        lambda token: "a" * 5000,
    ],
)
def test_a_tampered_link_is_refused(client, active, tamper):
    token = tamper(subscription_token(active))
    for response in (
        client.get(f"/robokassa/subscription/{token}/"),
        client.post(f"/robokassa/subscription/{token}/", {"action": "cancel"}),
    ):
        assert response.status_code in (400, 404)
    active.refresh_from_db()
    assert active.state == SubscriptionState.ACTIVE


def test_another_subscriptions_signature_does_not_open_this_one(client, active):
    other = Subscription.objects.create(
        merchant_login="demo",
        email="other@example.com",
        description="Other",
        amount=Decimal(5),
        first_amount=Decimal(5),
    )
    _code, signature = subscription_token(other).split(":", 1)
    response = client.post(
        f"/robokassa/subscription/{active.code}:{signature}/", {"action": "cancel"}
    )
    assert response.status_code == 400
    active.refresh_from_db()
    assert active.state == SubscriptionState.ACTIVE


def test_an_unknown_action_is_refused(client, active):
    assert client.post(page_of(active), {"action": "delete"}).status_code == 400


def test_shop_code_cancels_and_an_ended_one_is_refused(active):
    cancelled = cancel_subscription(active, reason=CancelReason.SHOP)
    assert cancelled.state == SubscriptionState.CANCELLED
    assert cancel_subscription(active).state == SubscriptionState.CANCELLED  # no-op
    Subscription.objects.filter(pk=active.pk).update(
        state=SubscriptionState.ENDED, cancel_requested_at=None
    )
    with pytest.raises(SubscriptionRefusedHere):
        cancel_subscription(active)
    with pytest.raises(SubscriptionRefusedHere):
        cancel_subscription(active, reason="because")


def test_a_cancel_while_a_renewal_is_being_sent_completes_after_it(active):
    due = later(active)
    assert claim(active)  # a sweep is sending the renewal right now
    cancelled = cancel_subscription(active, reason=CancelReason.BUYER)
    assert cancelled.state == SubscriptionState.ACTIVE
    assert cancelled.cancel_requested_at is not None
    assert not cancelled.is_chargeable
    # While the claim holds, no sweep charges it, nor completes the cancellation.
    assert renew_subscriptions(now=due) == {}
    assert not claim(active)
    # Once the claim is over (released, or expired after a crash), the cancellation completes.
    Subscription.objects.filter(pk=active.pk).update(
        charging_until=timezone.now() - timedelta(seconds=1)
    )
    assert renew_subscriptions(now=due) == {"cancelled": 1}
    active.refresh_from_db()
    assert active.state == SubscriptionState.CANCELLED
    assert not SubscriptionCharge.objects.exclude(state=ChargeState.CANCELLED).exists()


def test_a_cancel_during_the_send_completes_when_it_is_answered(active):
    """The buyer cancels while ROBOKASSA is taking the renewal (here: while its notification
    is being delivered, before the sweep has its answer): the renewal stands, the cancellation
    completes right after it, and nothing is charged later."""
    from wagtail_robokassa.contrib.emulator.models import EmulatedOperation
    from wagtail_robokassa.signals import result_received

    seen = []

    def cancel_meanwhile(sender, invoice, **kwargs):
        if (
            invoice is not None
            and invoice.subscription_id
            and invoice.pk != active.parent_invoice_id
        ):
            seen.append(cancel_subscription(active, reason=CancelReason.BUYER).state)

    result_received.connect(cancel_meanwhile)
    try:
        assert renew_subscriptions(now=later(active)) == {"accepted": 1}
    finally:
        result_received.disconnect(cancel_meanwhile)
    assert seen == [SubscriptionState.ACTIVE]  # asked for, not yet complete
    active.refresh_from_db()
    assert active.state == SubscriptionState.CANCELLED
    assert active.payments_made == 2
    renewal = EmulatedOperation.objects.get(parent__isnull=False)
    assert renewal.created_at <= active.cancelled_at
    assert renew_subscriptions(now=timezone.now() + timedelta(days=400)) == {}
    assert EmulatedOperation.objects.filter(parent__isnull=False).count() == 1
