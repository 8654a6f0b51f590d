"""Settling a hold exactly once: against a server that counts what reaches it, a click racing
the sweep on PostgreSQL, and an uncertain charge asked about before anything else."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.helpers import make_invoice
from tests.hostile import answer
from tests.status.test_reconcile_concurrency import together
from wagtail_robokassa.contrib.emulator.models import EmulatedOperation
from wagtail_robokassa.models import HoldSettlement, InvoiceStatus, SettlementState
from wagtail_robokassa.services.holds import (
    HoldError,
    cancel_hold,
    check_settlement,
    confirm_hold,
    mark_held,
    settle_expiring_holds,
)


def held_invoice(**fields):
    invoice = make_invoice("100.00", is_test=True, hold=True, **fields)
    assert mark_held(invoice, held_at=timezone.now() - timedelta(days=5, hours=12))
    return invoice


@pytest.fixture
def counting(hostile, settings):
    """A ROBOKASSA that says "success: true" a little slowly, and counts the requests."""

    def slow_success(conn, server):
        server.pause(0.3)
        answer(200, b'"success: true"')(conn, server)

    server = hostile(slow_success)
    settings.ROBOKASSA_TEST_MODE = True
    settings.ROBOKASSA_HOLD_URL = server.url + "/Merchant/Payment"
    return server


@pytest.mark.django_db
def test_an_uncertain_charge_is_never_sent_again(hostile, settings):
    server = hostile(answer(504, b"Gateway Timeout"))
    settings.ROBOKASSA_TEST_MODE = True
    settings.ROBOKASSA_HOLD_URL = server.url + "/Merchant/Payment"
    invoice = held_invoice()
    assert confirm_hold(invoice).state == SettlementState.UNKNOWN
    for again in (confirm_hold, cancel_hold):
        with pytest.raises(HoldError, match="already being settled"):
            again(invoice)
    sweep = settle_expiring_holds(now=invoice.hold_expires_at - timedelta(hours=1))
    assert sweep.settled == []
    assert len(server.requests) == 1


@pytest.mark.django_db
def test_a_check_that_finds_the_money_still_held_allows_a_new_request(emulator, hostile, settings):
    settings.ROBOKASSA_HOLD_URL = hostile(answer(504, b"")).url + "/Merchant/Payment"
    invoice = held_invoice()
    EmulatedOperation.objects.create(
        merchant_login=invoice.merchant_login,
        inv_id=invoice.pk,
        out_sum=invoice.amount,
        state=EmulatedOperation.HOLD,
        step_by_step=True,
    )
    settlement = confirm_hold(invoice)
    assert settlement.state == SettlementState.UNKNOWN
    check_settlement(settlement)
    assert settlement.state == SettlementState.REFUSED
    assert "did not arrive" in settlement.message
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.HELD


@pytest.mark.django_db
def test_a_test_hold_without_the_emulator_is_refused_not_sent(settings):
    settings.ROBOKASSA_TEST_MODE = True
    invoice = held_invoice()
    settlement = cancel_hold(invoice)
    assert settlement.state == SettlementState.REFUSED
    assert "no test mode" in settlement.message


@pytest.mark.django_db
def test_only_a_held_payment_is_settled(counting):
    invoice = make_invoice("100.00", is_test=True)
    with pytest.raises(HoldError, match="not on hold"):
        confirm_hold(invoice)
    assert counting.requests == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("round_number", range(5))
def test_a_click_racing_the_sweep_reaches_robokassa_once(counting, round_number):
    invoice = held_invoice()
    deadline = invoice.hold_expires_at

    def click():
        try:
            return confirm_hold(invoice.__class__.objects.get(pk=invoice.pk), settled_by="staff")
        except HoldError:
            return None

    def sweep():
        return settle_expiring_holds(now=deadline - timedelta(hours=12))

    clicked, swept = together(click, sweep)
    assert len(counting.requests) == 1
    settlement = HoldSettlement.objects.get(invoice=invoice)
    assert settlement.state == SettlementState.DONE
    assert settlement.attempts == 1
    assert (clicked is None) != (swept.settled == [])
    invoice.refresh_from_db()
    expected = InvoiceStatus.HELD if settlement.kind == "charge" else InvoiceStatus.CANCELLED
    assert invoice.status == expected


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_clicks_at_once_reach_robokassa_once(counting):
    invoice = held_invoice()

    def click():
        try:
            return confirm_hold(invoice.__class__.objects.get(pk=invoice.pk), Decimal("100.00"))
        except HoldError:
            return None

    results = together(*[click] * 6)
    assert len(counting.requests) == 1
    assert sum(result is not None for result in results) == 1
