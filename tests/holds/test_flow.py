"""Holds against the emulator over real HTTP: held by a signed ResultUrl2, charged in part with
the final receipt (then paid by the Result URL), released, settled by the sweep before the
deadline, and a charge whose answer was lost checked, never sent again."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from tests.status_servers import OPSTATE
from wagtail_robokassa.contrib.emulator import jws as emulator_jws
from wagtail_robokassa.contrib.emulator.models import (
    EmulatedOperation,
    EmulatorSwitches,
    HoldOutcome,
)
from wagtail_robokassa.models import (
    HoldSettlement,
    Invoice,
    InvoiceStatus,
    NotificationSource,
    SettlementState,
    StateNotification,
    SuccessNotification,
)
from wagtail_robokassa.protocol import Receipt, ReceiptItem
from wagtail_robokassa.services import start_payment
from wagtail_robokassa.services.config import get_config
from wagtail_robokassa.services.holds import (
    HoldError,
    cancel_hold,
    check_settlement,
    confirm_hold,
    settle_expiring_holds,
)
from wagtail_robokassa.signals import hold_cancelled, hold_confirmed

LINE = {"quantity": Decimal(1), "tax": "none", "payment_object": "service"}
RECEIPT = Receipt(items=(ReceiptItem(name="Прокат", sum=Decimal("100.00"), **LINE),))


@pytest.fixture
def shop(settings, live_server, transactional_db):
    settings.ROBOKASSA_EMULATOR_ENABLED = True
    settings.ROBOKASSA_TEST_MODE = True
    settings.ROBOKASSA_HOLDS_ENABLED = True
    settings.ROBOKASSA_HOLD_URL = live_server.url + "/emulator/Merchant/Payment"
    settings.ROBOKASSA_STATUS_URL = live_server.url + OPSTATE
    settings.ROBOKASSA_EMULATOR_RESULT_URL = live_server.url + "/robokassa/result/"
    settings.ROBOKASSA_RESULT_URL2_TEST_CERTIFICATE = str(emulator_jws.CERTIFICATE_PATH)
    return live_server


@pytest.fixture
def signals():
    seen: dict[str, list] = {"confirmed": [], "cancelled": []}

    def confirmed(sender, **kwargs):
        seen["confirmed"].append(kwargs)

    def cancelled(sender, **kwargs):
        seen["cancelled"].append(kwargs)

    hold_confirmed.connect(confirmed)
    hold_cancelled.connect(cancelled)
    yield seen
    hold_confirmed.disconnect(confirmed)
    hold_cancelled.disconnect(cancelled)


def held(shop, *, receipt: Receipt | None = RECEIPT) -> Invoice:
    """A payment started with StepByStep=true and "Hold" pressed on the emulator's page."""
    start = start_payment(
        get_config(),
        amount=Decimal("100.00"),
        description="Прокат велосипеда",
        receipt=receipt,
        hold=True,
        result_url2=shop.url + "/robokassa/result2/",
    )
    assert ("StepByStep", "true") in start.params
    browser = Client()
    page = browser.post("/emulator/Merchant/Index.aspx", dict(start.params))
    assert page.status_code == 200, page.content.decode()
    assert "hold-note" in page.content.decode()
    operation = EmulatedOperation.objects.get(inv_id=start.invoice.pk)
    assert operation.step_by_step
    redirect = browser.post(f"/emulator/Merchant/Pay/{operation.pk}/")
    assert redirect.status_code == 302, redirect.content.decode()
    operation.refresh_from_db()
    assert operation.state == EmulatedOperation.HOLD
    assert operation.result2_answer == f"HOLD: 200 OK{start.invoice.pk}"
    success = browser.get(redirect["Location"])
    assert success.status_code == 200
    assert 'data-testid="held"' in success.content.decode()
    invoice = Invoice.objects.get(pk=start.invoice.pk)
    assert invoice.status == InvoiceStatus.HELD
    return invoice


def test_hold_then_charge_part_with_the_final_receipt(shop, signals):
    invoice = held(shop)
    final = Receipt(items=(ReceiptItem(name="Прокат, 1 день", sum=Decimal("60.00"), **LINE),))
    settlement = confirm_hold(invoice, Decimal("60.00"), final)
    assert settlement.state == SettlementState.DONE
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID  # the emulator's Result URL came at once
    assert (invoice.amount, invoice.held_amount) == (Decimal("60.00"), Decimal("100.00"))
    payment = SuccessNotification.objects.get(inv_id=invoice.pk)
    assert payment.out_sum == Decimal("60")
    assert payment.source == NotificationSource.RESULT_URL
    assert settlement.receipt["items"][0]["name"] == "Прокат, 1 день"
    assert invoice.receipt == settlement.receipt  # what was charged, for refunds
    operation = EmulatedOperation.objects.get(inv_id=invoice.pk)
    assert (operation.state, operation.out_sum) == (EmulatedOperation.PAID, Decimal("60.00"))
    assert operation.result2_answer == f"OK: 200 OK{invoice.pk}"
    states = set(StateNotification.objects.values_list("state", "outcome"))
    assert states == {("HOLD", "held"), ("OK", "already")}
    assert [kwargs["amount"] for kwargs in signals["confirmed"]] == [Decimal("60.00")]
    with pytest.raises(HoldError):
        confirm_hold(invoice)  # paid: nothing more is sent


def test_charging_less_needs_the_final_receipt(shop):
    invoice = held(shop)
    with pytest.raises(HoldError, match="final receipt"):
        confirm_hold(invoice, Decimal("60.00"))
    with pytest.raises(HoldError, match="at most"):
        confirm_hold(invoice, Decimal("100.01"))
    assert not HoldSettlement.objects.exists()


def test_hold_then_release(shop, signals):
    invoice = held(shop)
    settlement = cancel_hold(invoice)
    assert settlement.state == SettlementState.DONE
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CANCELLED
    assert EmulatedOperation.objects.get(inv_id=invoice.pk).state == EmulatedOperation.CANCELLED
    assert [kwargs["reason"] for kwargs in signals["cancelled"]] == ["code"]
    assert not SuccessNotification.objects.exists()


def test_the_sweep_releases_a_hold_a_day_before_it_expires(shop, signals, mailoutbox, settings):
    settings.MANAGERS = [("Shop", "manager@example.com")]
    invoice = held(shop, receipt=None)
    expires = invoice.hold_expires_at
    warned = settle_expiring_holds(now=expires - timedelta(days=1, hours=12))
    assert warned.warned == [invoice.pk]
    assert len(mailoutbox) == 1
    assert f"InvId {invoice.pk}" in mailoutbox[0].body
    assert mailoutbox[0].to == ["manager@example.com"]
    again = settle_expiring_holds(now=expires - timedelta(days=1, hours=11))
    assert again.warned == []
    assert len(mailoutbox) == 1
    sweep = settle_expiring_holds(now=expires - timedelta(hours=20))
    assert [settlement.invoice.pk for settlement in sweep.settled] == [invoice.pk]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CANCELLED
    assert HoldSettlement.objects.get().settled_by == "expiry"
    assert [kwargs["reason"] for kwargs in signals["cancelled"]] == ["expiry"]


def test_the_sweep_may_charge_instead(shop, settings):
    settings.ROBOKASSA_HOLD_EXPIRY_ACTION = "charge"
    invoice = held(shop)
    settle_expiring_holds(now=invoice.hold_expires_at - timedelta(hours=2))
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.amount == Decimal("100.00")


def test_a_hold_nobody_settled_is_taken_for_released_after_the_deadline(shop, signals):
    invoice = held(shop)
    sweep = settle_expiring_holds(now=invoice.hold_expires_at + timedelta(minutes=1))
    assert sweep.expired == [invoice.pk]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.EXPIRED
    assert [kwargs["reason"] for kwargs in signals["cancelled"]] == ["expired"]
    with pytest.raises(HoldError, match="not on hold"):
        confirm_hold(invoice)


def test_a_charge_whose_answer_was_lost_is_checked_not_sent_again(shop, signals):
    invoice = held(shop, receipt=None)
    EmulatorSwitches.objects.update_or_create(
        pk=1, defaults={"hold_outcome": HoldOutcome.ANSWER_LOST}
    )
    settlement = confirm_hold(invoice)
    assert settlement.state == SettlementState.UNKNOWN
    assert signals["confirmed"] == []
    for again in (confirm_hold, cancel_hold):  # paid meanwhile, or still being settled
        with pytest.raises(HoldError, match=r"not on hold|already being settled"):
            again(invoice)
    operation = EmulatedOperation.objects.get(inv_id=invoice.pk)
    assert operation.state == EmulatedOperation.PAID  # charged once
    check_settlement(settlement)
    settlement.refresh_from_db()
    assert settlement.state == SettlementState.DONE
    assert settlement.attempts == 1
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert len(signals["confirmed"]) == 1


def test_a_refused_charge_may_be_asked_again(shop):
    invoice = held(shop, receipt=None)
    EmulatorSwitches.objects.update_or_create(pk=1, defaults={"hold_outcome": HoldOutcome.REFUSED})
    refused = confirm_hold(invoice)
    assert refused.state == SettlementState.REFUSED
    assert "success: false" in refused.message
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.HELD
    assert invoice.amount == Decimal("100.00")
    EmulatorSwitches.objects.filter(pk=1).update(hold_outcome=HoldOutcome.DONE)
    released = cancel_hold(invoice)
    assert (released.pk, released.state, released.attempts) == (refused.pk, "done", 2)


def test_a_lost_hold_notification_is_found_by_a_status_check(shop):
    from wagtail_robokassa.services.reconciliation import reconcile_invoice

    start = start_payment(
        get_config(),
        amount=Decimal("100.00"),
        description="Прокат",
        hold=True,
        result_url2=shop.url + "/robokassa/result2/",
    )
    browser = Client()
    browser.post("/emulator/Merchant/Index.aspx", dict(start.params))
    operation = EmulatedOperation.objects.get(inv_id=start.invoice.pk)
    browser.post(f"/emulator/Merchant/PayWithoutNotifying/{operation.pk}/")
    invoice = Invoice.objects.get(pk=start.invoice.pk)
    assert invoice.status == InvoiceStatus.PENDING
    result = reconcile_invoice(invoice)
    assert result.outcome == "hold"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.HELD
    assert invoice.hold_expires_at > timezone.now() + timedelta(days=6)


def test_the_emulator_refuses_holds_of_a_shop_without_them(shop, settings):
    settings.ROBOKASSA_HOLDS_ENABLED = False
    start = start_payment(
        get_config(),
        amount=Decimal("100.00"),
        description="Прокат",
        hold=True,
        result_url2=shop.url + "/robokassa/result2/",
    )
    page = Client().post("/emulator/Merchant/Index.aspx", dict(start.params))
    assert page.status_code == 400
    assert "Error 64" in page.content.decode()
