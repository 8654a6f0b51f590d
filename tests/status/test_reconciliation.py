"""Reconciliation over real HTTP, against the emulator's status interface: a paid operation is
recorded once through the Result URL's write (one notification, one signal), whichever of the
check and the notification comes first; every other answer and every failure is kept on the
invoice as its last check, and nothing else changes."""

import dataclasses
from decimal import Decimal

import pytest
from django.test import Client

from tests.helpers import LIVE_PASSWORD2, LOGIN, make_invoice, result_params
from tests.status_servers import PAID_XML, closed_port
from wagtail_robokassa.contrib.emulator.models import EmulatedOperation
from wagtail_robokassa.models import (
    CheckOutcome,
    Invoice,
    InvoiceStatus,
    NotificationSource,
    SuccessNotification,
)
from wagtail_robokassa.protocol import OperationState, opstate_signature
from wagtail_robokassa.services.reconciliation import backoff, reconcile_invoice


def at_robokassa(invoice, state, *, out_sum=None, **fields):
    """The operation the emulator (ROBOKASSA) holds for ``invoice``."""
    return EmulatedOperation.objects.create(
        merchant_login=LOGIN,
        inv_id=invoice.pk,
        out_sum=out_sum or invoice.amount,
        state=state.value,
        op_key="op-key-1",
        **fields,
    )


def deliver(inv_id, amount="990.00"):
    return Client().post("/robokassa/result/", result_params(inv_id, amount + "0000", is_test=True))


def test_a_paid_operation_is_recorded_once_with_one_signal(emulator, write_path, results_log):
    invoice = make_invoice("990.00", is_test=True, shp={"Shp_order": "A-7"})
    at_robokassa(invoice, OperationState.PAID, shp={"Shp_order": "A-7"})

    result = reconcile_invoice(invoice)

    assert (result.outcome, result.credited) == (CheckOutcome.PAID, True)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.paid_at is not None
    assert (invoice.last_check, invoice.checks) == (CheckOutcome.PAID, 1)
    assert "State 100" in invoice.last_check_detail
    notification = SuccessNotification.objects.get()
    assert notification.source == NotificationSource.STATUS_CHECK
    assert (notification.deliveries, notification.out_sum) == (0, Decimal("990.00"))
    assert notification.invoice == invoice
    assert notification.is_test
    assert notification.params["OpKey"] == "op-key-1"
    assert notification.params["State"] == "100"
    assert len(results_log.calls) == 1
    call = results_log.last
    assert (call["InvId"], call["OutSum"], call["extra"]) == (
        invoice.pk,
        Decimal("990.00"),
        {"order": "A-7"},
    )
    assert call["notification"].source == NotificationSource.STATUS_CHECK
    assert call["invoice"].status == InvoiceStatus.PAID

    # ROBOKASSA's own notification arrives afterwards: a repeat, acknowledged, no second signal.
    answer = deliver(invoice.pk)
    assert (answer.status_code, answer.content) == (200, f"OK{invoice.pk}".encode())
    notification.refresh_from_db()
    assert notification.deliveries == 1
    assert notification.last_delivery_at is not None
    assert notification.source == NotificationSource.STATUS_CHECK
    assert len(results_log.calls) == 1

    # Checking again finds it paid and records nothing more.
    again = reconcile_invoice(invoice)
    assert (again.outcome, again.credited) == (CheckOutcome.PAID, False)
    assert SuccessNotification.objects.count() == 1
    assert len(results_log.calls) == 1


def test_a_notification_that_came_first_is_not_recorded_again(emulator, write_path, results_log):
    invoice = make_invoice("990.00", is_test=True)
    at_robokassa(invoice, OperationState.PAID)
    assert deliver(invoice.pk).status_code == 200

    result = reconcile_invoice(invoice)

    assert (result.outcome, result.credited) == (CheckOutcome.PAID, False)
    notification = SuccessNotification.objects.get()
    assert notification.source == NotificationSource.RESULT_URL
    assert notification.deliveries == 1  # the check is not counted as a delivery
    assert len(results_log.calls) == 1


@pytest.mark.parametrize(
    ("state", "outcome"),
    [
        (OperationState.INITIATED, CheckOutcome.INITIATED),
        (OperationState.CANCELLED, CheckOutcome.CANCELLED),
        (OperationState.PROCESSING, CheckOutcome.PROCESSING),
        (OperationState.RETURNED, CheckOutcome.RETURNED),
        (OperationState.SUSPENDED, CheckOutcome.SUSPENDED),
    ],
)
def test_an_unpaid_state_is_kept_as_the_last_check_only(emulator, results_log, state, outcome):
    invoice = make_invoice("990.00", is_test=True)
    at_robokassa(invoice, state)

    result = reconcile_invoice(invoice)

    assert (result.outcome, result.credited, result.reached) == (outcome, False, True)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    assert invoice.paid_at is None
    assert invoice.last_check == outcome
    assert f"State {state.value}" in invoice.last_check_detail
    assert invoice.last_checked_at is not None
    assert not SuccessNotification.objects.exists()
    assert not results_log.calls


def test_a_hold_puts_a_pending_payment_on_hold(emulator, results_log):
    """OpStateExt's state 20 is the fallback for a ResultUrl2 HOLD that never came."""
    invoice = make_invoice("990.00", is_test=True)
    at_robokassa(invoice, OperationState.HOLD)
    result = reconcile_invoice(invoice)
    assert (result.outcome, result.credited) == (CheckOutcome.HOLD, False)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.HELD
    assert invoice.hold_expires_at is not None
    assert not SuccessNotification.objects.exists()
    assert not results_log.calls


def test_a_hold_of_another_amount_changes_nothing(emulator):
    invoice = make_invoice("990.00", is_test=True)
    EmulatedOperation.objects.create(
        merchant_login=LOGIN, inv_id=invoice.pk, out_sum=Decimal("10.00"), state=20, op_key="k"
    )
    assert reconcile_invoice(invoice).outcome == CheckOutcome.HOLD
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING


def test_an_unknown_state_code_is_named_so(emulator):
    invoice = make_invoice("990.00", is_test=True)
    EmulatedOperation.objects.create(
        merchant_login=LOGIN, inv_id=invoice.pk, out_sum=invoice.amount, state=77, op_key="k"
    )
    assert reconcile_invoice(invoice).outcome == CheckOutcome.UNKNOWN_STATE
    assert Invoice.objects.get().status == InvoiceStatus.PENDING


def test_an_inv_id_robokassa_does_not_know(emulator, results_log):
    invoice = make_invoice("990.00", is_test=True)
    result = reconcile_invoice(invoice)
    assert result.outcome == CheckOutcome.NOT_FOUND
    assert result.reached
    invoice.refresh_from_db()
    assert invoice.last_check == CheckOutcome.NOT_FOUND
    assert "did not get as far as paying" in invoice.last_check_detail
    assert not results_log.calls


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"test_password2": "not-the-password"}, "Password #2 or the hash algorithm"),
        ({"algorithm": "sha256"}, "Password #2 or the hash algorithm"),
        ({"login": "someone-else"}, "the merchant login is wrong"),
    ],
)
def test_a_refusal_is_kept_without_the_password(emulator, monkeypatch, change, said):
    """The plugin's configuration differs from the shop's at ROBOKASSA (the emulator's)."""
    from wagtail_robokassa.services import reconciliation

    wrong = dataclasses.replace(emulator, **change)
    monkeypatch.setattr(reconciliation, "invoice_config", lambda invoice: wrong)
    invoice = make_invoice("990.00", is_test=True)
    at_robokassa(invoice, OperationState.PAID)

    result = reconcile_invoice(invoice)

    assert (result.outcome, result.transient) == (CheckOutcome.REFUSED, False)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    assert said in invoice.last_check_detail
    assert "not-the-password" not in invoice.last_check_detail
    assert not SuccessNotification.objects.exists()


@pytest.mark.parametrize("out_sum", ["99.00", "9900.00"])
def test_another_amount_is_never_credited(emulator, results_log, out_sum):
    invoice = make_invoice("990.00", is_test=True)
    at_robokassa(invoice, OperationState.PAID, out_sum=Decimal(out_sum))

    result = reconcile_invoice(invoice)

    assert result.outcome == CheckOutcome.MISMATCH
    assert not result.credited
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    assert "was not credited" in invoice.last_check_detail
    assert not SuccessNotification.objects.exists()
    assert not results_log.calls


LIVE_PAID_XML = PAID_XML.replace(
    b"</State>", b"</State><Info><IncSum>1010.000000</IncSum><OutSum>990.000000</OutSum></Info>"
)


@pytest.mark.django_db
@pytest.mark.parametrize(("answer", "credited"), [(LIVE_PAID_XML, True), (PAID_XML, False)])
def test_a_live_payment_is_asked_about_with_the_live_password(misbehaving, answer, credited):
    seen = misbehaving((200, answer))
    invoice = make_invoice("990.00", is_test=False)

    result = reconcile_invoice(invoice)

    expected = opstate_signature(LOGIN, invoice.pk, LIVE_PASSWORD2)
    assert seen == [{"MerchantLogin": LOGIN, "InvoiceID": str(invoice.pk), "Signature": expected}]
    # Without sums nothing proves the operation is this payment's: it is not credited.
    assert result.credited is credited
    assert SuccessNotification.objects.filter(is_test=False).exists() is credited


# Faults: the check fails clearly and nothing but the last check changes.


TRUNCATED = PAID_XML[: len(PAID_XML) // 2]


@pytest.mark.parametrize(
    ("script", "said"),
    [
        (None, "could not be reached"),
        (((500, b"down"),), "HTTP status 500"),
        (((200, TRUNCATED),), "could not be read"),
        (((200, b"<html>Bad gateway</html>"),), "could not be read"),
    ],
    ids=["refused", "500", "truncated", "not-xml"],
)
@pytest.mark.django_db
def test_a_fault_changes_nothing_but_the_last_check(
    settings, misbehaving, results_log, script, said
):
    if script is None:
        settings.ROBOKASSA_STATUS_URL = f"http://127.0.0.1:{closed_port()}/OpStateExt"
    else:
        misbehaving(*script)
    invoice = make_invoice("990.00", is_test=True)

    result = reconcile_invoice(invoice)

    assert (result.outcome, result.transient, result.reached) == (CheckOutcome.FAILED, True, False)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    assert (invoice.last_check, invoice.checks) == (CheckOutcome.FAILED, 1)
    assert said in invoice.last_check_detail
    assert not SuccessNotification.objects.exists()
    assert not results_log.calls


@pytest.mark.django_db
def test_a_timeout_changes_nothing(misbehaving, settings):

    settings.ROBOKASSA_INTERACTIVE_DEADLINE = 0.3
    misbehaving(("sleep", 1.5))
    invoice = make_invoice("990.00", is_test=True)
    result = reconcile_invoice(invoice)
    assert result.transient
    assert "did not answer in time" in result.detail
    assert Invoice.objects.get().status == InvoiceStatus.PENDING


def test_a_receiver_that_fails_leaves_the_payment_to_the_next_check(emulator, write_path):
    from wagtail_robokassa.signals import result_received

    def broken(sender, **kwargs):
        raise RuntimeError("the shop's own code failed")

    invoice = make_invoice("990.00", is_test=True)
    at_robokassa(invoice, OperationState.PAID)
    result_received.connect(broken)
    try:
        result = reconcile_invoice(invoice)
    finally:
        result_received.disconnect(broken)
    assert (result.outcome, result.transient) == (CheckOutcome.FAILED, True)
    assert "could not be recorded (RuntimeError)" in result.detail
    assert Invoice.objects.get().status == InvoiceStatus.PENDING
    assert not SuccessNotification.objects.exists()

    assert reconcile_invoice(invoice).credited  # the next check records it


def test_back_off_doubles_up_to_six_hours():
    minutes = [backoff(n).total_seconds() / 60 for n in range(1, 10)]
    assert minutes == [5, 10, 20, 40, 80, 160, 320, 360, 360]
    assert backoff(10_000).total_seconds() == 6 * 3600


def test_a_test_payment_is_not_credited_while_the_shop_is_live(emulator, settings, results_log):
    settings.ROBOKASSA_TEST_MODE = False
    invoice = make_invoice("990.00", is_test=True)
    at_robokassa(invoice, OperationState.PAID)
    result = reconcile_invoice(invoice)
    assert result.outcome == CheckOutcome.TEST_IN_LIVE
    assert "live mode" in result.detail
    assert not SuccessNotification.objects.exists()
    assert not results_log.calls


def test_an_inv_id_recorded_as_another_payment_is_not_credited(emulator, results_log):
    """ROBOKASSA's notification for the number arrived before the number was this invoice's."""
    SuccessNotification.objects.create(
        merchant_login=LOGIN, is_test=True, inv_id=4242, out_sum=Decimal("990.00")
    )
    invoice = make_invoice("990.00", is_test=True, id=4242)
    at_robokassa(invoice, OperationState.PAID)

    result = reconcile_invoice(invoice)

    assert result.outcome == CheckOutcome.ANOTHER_PAYMENT
    assert not result.credited
    assert "recorded as another payment" in result.detail
    assert Invoice.objects.get(pk=4242).status == InvoiceStatus.PENDING
    assert SuccessNotification.objects.count() == 1
    assert not results_log.calls
