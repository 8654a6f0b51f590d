"""Refunds end to end against the emulator's Refund API over HTTP: reserved before anything is
sent, sent once per click, followed until they settle, and never more than was paid."""

import time
import uuid
from decimal import Decimal

import pytest

from tests.helpers import BOOK_AND_DELIVERY, LOGIN, make_invoice
from wagtail_robokassa.contrib.emulator.models import (
    EmulatedOperation,
    EmulatedRefund,
    EmulatorSwitches,
    RefundOutcome,
)
from wagtail_robokassa.models import Invoice, InvoiceStatus, Refund, RefundState
from wagtail_robokassa.services.config import get_config
from wagtail_robokassa.services.refunds import (
    RefundRefusedHere,
    follow_refund,
    remaining,
    request_refund,
    send_refund,
    why_not_refundable,
)
from wagtail_robokassa.signals import refund_failed


def paid(amount="990.00"):
    invoice = make_invoice(amount, is_test=True, status=InvoiceStatus.PAID)
    EmulatedOperation.objects.create(
        merchant_login=LOGIN, inv_id=invoice.pk, out_sum=invoice.amount, state=100, op_key="op-1"
    )
    return invoice


def refreshed(invoice):
    return Invoice.objects.get(pk=invoice.pk)


def switch(outcome):
    EmulatorSwitches.objects.update_or_create(pk=1, defaults={"refund_outcome": outcome})


def test_a_partial_then_the_rest(refund_service):
    invoice = paid()
    first = request_refund(invoice, Decimal("300.00"), reason="damaged")
    assert (first.state, first.whole_remainder) == (RefundState.REQUESTED, False)
    assert refreshed(invoice).refund_reserved == Decimal("300.00")

    outcome = send_refund(first)
    assert outcome.sent
    assert outcome.refund.state == RefundState.PROCESSING
    assert outcome.refund.request_id == str(EmulatedRefund.objects.get().request_id)
    assert EmulatedRefund.objects.get().amount == Decimal("300.00")

    settled = follow_refund(outcome.refund)
    assert settled.state == RefundState.FINISHED
    assert settled.settled_at is not None
    invoice = refreshed(invoice)
    assert (invoice.refunded, invoice.refund_reserved) == (Decimal("300.00"), Decimal("300.00"))
    assert remaining(invoice) == Decimal("690.00")

    rest = request_refund(invoice)
    assert (rest.amount, rest.whole_remainder) == (Decimal("690.00"), True)
    follow_refund(send_refund(rest).refund)
    assert EmulatedRefund.objects.order_by("pk").last().amount == Decimal("690.00")  # no RefundSum
    invoice = refreshed(invoice)
    assert invoice.refunded == invoice.amount
    assert "already been refunded" in why_not_refundable(invoice, get_config())
    with pytest.raises(RefundRefusedHere):
        request_refund(invoice, Decimal("0.01"))


@pytest.mark.parametrize("amount", ["0", "-1", "990.01"])
def test_an_amount_outside_what_was_paid_is_refused(refund_service, amount):
    invoice = paid()
    with pytest.raises(RefundRefusedHere, match=r"at most 990\.00"):
        request_refund(invoice, Decimal(amount))
    assert not Refund.objects.exists()
    assert refreshed(invoice).refund_reserved == 0


def test_the_same_click_twice_is_one_refund_sent_once(refund_service):
    invoice = paid()
    key = uuid.uuid4()
    first = request_refund(invoice, Decimal("100.00"), key=key)
    again = request_refund(invoice, Decimal("100.00"), key=key)
    assert again.pk == first.pk
    assert refreshed(invoice).refund_reserved == Decimal("100.00")
    assert send_refund(first).sent
    assert not send_refund(first).sent
    assert EmulatedRefund.objects.count() == 1


def test_robokassa_refusing_releases_the_amount(refund_service):
    switch(RefundOutcome.NOT_ENOUGH_FUNDS)
    invoice = paid()
    refund = send_refund(request_refund(invoice, Decimal("100.00"))).refund
    assert refund.state == RefundState.FAILED
    assert "not enough funds" in refund.message
    assert refreshed(invoice).refund_reserved == 0


def test_an_uncertain_outcome_is_unknown_and_never_sent_again(refund_service):
    switch(RefundOutcome.HTTP_500)
    invoice = paid()
    refund = send_refund(request_refund(invoice, Decimal("100.00"))).refund
    assert refund.state == RefundState.UNKNOWN
    assert "Check it in the ROBOKASSA cabinet" in refund.message
    assert refreshed(invoice).refund_reserved == Decimal("100.00")  # still held
    switch(RefundOutcome.FINISHED)
    assert not send_refund(refund).sent
    assert not EmulatedRefund.objects.exists()


def test_a_cancelled_refund_releases_the_amount(refund_service):
    switch(RefundOutcome.CANCELED)
    invoice = paid()
    refund = follow_refund(send_refund(request_refund(invoice, Decimal("100.00"))).refund)
    assert refund.state == RefundState.CANCELLED
    invoice = refreshed(invoice)
    assert (invoice.refund_reserved, invoice.refunded) == (0, 0)
    assert follow_refund(refund).state == RefundState.CANCELLED  # settles once


def test_a_payment_robokassa_does_not_show_as_paid_is_not_refunded(refund_service):
    invoice = make_invoice("990.00", is_test=True, status=InvoiceStatus.PAID)  # unknown there
    refund = send_refund(request_refund(invoice)).refund
    assert refund.state == RefundState.FAILED
    assert "no operation with this InvId" in refund.message
    assert refreshed(invoice).refund_reserved == 0


@pytest.mark.parametrize(
    "amount",
    [Decimal("NaN"), Decimal("sNaN"), Decimal("Infinity"), Decimal("-Infinity"),
     Decimal("1e999"), Decimal("1.005"), 1.5, "10.00", True],
    ids=repr,
)  # fmt: skip
def test_an_amount_that_is_no_sum_of_money_is_the_plugins_own_refusal(refund_service, amount):
    invoice = paid()
    with pytest.raises(RefundRefusedHere, match="amount must be"):
        request_refund(invoice, amount)
    assert not Refund.objects.exists()
    assert refreshed(invoice).refund_reserved == 0


def test_without_password3_the_refund_says_why_before_anything_is_recorded(
    refund_service, settings
):
    settings.ROBOKASSA_PASSWORD3 = ""
    invoice = paid()
    assert "Password #3 is not configured" in why_not_refundable(invoice, get_config())
    with pytest.raises(RefundRefusedHere, match="Password #3 is not configured"):
        request_refund(invoice, Decimal("1.00"))
    assert not Refund.objects.exists()


def test_a_refund_recorded_before_password3_went_is_not_sent(refund_service, settings):
    invoice = paid()
    refund = request_refund(invoice, Decimal("1.00"))
    settings.ROBOKASSA_PASSWORD3 = ""
    refund = send_refund(refund).refund
    assert refund.state == RefundState.FAILED
    assert "Password #3 is not configured" in refund.message
    assert not EmulatedRefund.objects.exists()


@pytest.mark.django_db
def test_what_cannot_be_refunded_says_why(settings):
    settings.ROBOKASSA_REFUND_URL = ""
    config = get_config()
    assert "Only a paid payment" in why_not_refundable(make_invoice(), config)
    test_payment = make_invoice(is_test=True, status=InvoiceStatus.PAID)
    assert "no test mode for refunds" in why_not_refundable(test_payment, config)
    settings.ROBOKASSA_HOST = "auth.robokassa.kz"
    live = make_invoice(status=InvoiceStatus.PAID)
    assert "ROBOKASSA Russia only" in why_not_refundable(live, get_config())
    with pytest.raises(RefundRefusedHere, match="ROBOKASSA Russia only"):
        request_refund(live)


def test_signals_follow_the_refund_once_each(refund_service):
    from wagtail_robokassa import signals

    heard = []

    def listener(signal_name):
        def receive(sender, refund, invoice, **kwargs):
            heard.append((signal_name, refund.state, invoice.pk))

        return receive

    receivers = {
        name: listener(name) for name in ("refund_requested", "refund_finished", "refund_failed")
    }
    for name, receiver in receivers.items():
        getattr(signals, name).connect(receiver)
    try:
        invoice = paid()
        refund = follow_refund(send_refund(request_refund(invoice, Decimal("10.00"))).refund)
        follow_refund(refund)
        switch(RefundOutcome.NOT_ENOUGH_FUNDS)
        send_refund(request_refund(invoice, Decimal("10.00")))
    finally:
        for name, receiver in receivers.items():
            getattr(signals, name).disconnect(receiver)
    assert heard == [
        ("refund_requested", RefundState.PROCESSING, invoice.pk),
        ("refund_finished", RefundState.FINISHED, invoice.pk),
        ("refund_failed", RefundState.FAILED, invoice.pk),
    ]


def test_a_receiver_that_fails_does_not_undo_the_refund(refund_service):
    from wagtail_robokassa.signals import refund_finished

    def broken(sender, **kwargs):
        raise RuntimeError("the shop's own code failed")

    refund_finished.connect(broken)
    try:
        invoice = paid()
        refund = follow_refund(send_refund(request_refund(invoice, Decimal("10.00"))).refund)
    finally:
        refund_finished.disconnect(broken)
    assert refund.state == RefundState.FINISHED
    assert refreshed(invoice).refunded == Decimal("10.00")


def test_the_follow_up_sends_what_was_left_unsent_and_settles_what_is_due(refund_service):
    from datetime import timedelta

    from django.utils import timezone

    from wagtail_robokassa.services.refunds import follow_open_refunds

    invoice = paid()
    unsent = request_refund(invoice, Decimal("10.00"))
    interrupted = request_refund(invoice, Decimal("20.00"))
    long_ago = timezone.now() - timedelta(hours=1)
    Refund.objects.filter(pk=unsent.pk).update(created_at=long_ago)
    Refund.objects.filter(pk=interrupted.pk).update(state=RefundState.SENDING, updated_at=long_ago)

    assert follow_open_refunds() == {"sent": 1, "interrupted": 1, "settled": 0}
    unsent.refresh_from_db()
    assert unsent.state == RefundState.PROCESSING
    interrupted.refresh_from_db()
    assert interrupted.state == RefundState.UNKNOWN
    assert "may have reached ROBOKASSA" in interrupted.message

    Refund.objects.filter(pk=unsent.pk).update(next_poll_at=long_ago)
    assert follow_open_refunds() == {"sent": 0, "interrupted": 0, "settled": 1}
    unsent.refresh_from_db()
    assert unsent.state == RefundState.FINISHED


def test_the_follow_up_task_runs_on_a_real_backends_worker(refund_service, task_backend):
    from datetime import timedelta

    from django.utils import timezone

    from wagtail_robokassa.tasks import follow_refunds

    invoice = paid()
    refund = request_refund(invoice, Decimal("10.00"))
    Refund.objects.filter(pk=refund.pk).update(created_at=timezone.now() - timedelta(hours=1))
    with task_backend.configured():
        follow_refunds.enqueue()
        task_backend.work()
        (task,) = task_backend.results().values()
    assert task.status == "SUCCESSFUL", task.errors
    assert task.return_value == {"sent": 1, "interrupted": 0, "settled": 0}
    refund.refresh_from_db()
    assert refund.state == RefundState.PROCESSING


def test_a_timeout_after_the_refund_was_taken_is_settled_by_its_request_id(
    refund_service, settings
):
    """ROBOKASSA took the refund but the shop stopped waiting for its answer: the refund is
    unknown, never sent again; staff find the request in the cabinet, and the poll settles it
    by that id."""
    from wagtail_robokassa.services.refunds import follow_unknown_refund

    settings.ROBOKASSA_INTERACTIVE_DEADLINE = 0.3  # the emulator answers after 1 s
    switch(RefundOutcome.ANSWER_LOST)
    invoice = paid()
    started = time.monotonic()
    refund = send_refund(request_refund(invoice, Decimal("100.00"))).refund
    assert time.monotonic() - started < 0.9  # the client stopped waiting: a timeout, not the 504
    assert refund.state == RefundState.UNKNOWN
    taken = EmulatedRefund.objects.get()  # it did arrive
    switch(RefundOutcome.FINISHED)
    assert not send_refund(refund).sent
    assert EmulatedRefund.objects.count() == 1

    with pytest.raises(RefundRefusedHere, match="does not know this refund request"):
        follow_unknown_refund(refund, str(uuid.uuid4()))
    for odd in ("'; DROP TABLE x; --\x00", "\x00" * 36, "\udcff", "a" * 10_000, ""):
        with pytest.raises(RefundRefusedHere, match="not a ROBOKASSA refund request id"):
            follow_unknown_refund(refund, odd)
    assert Refund.objects.get().state == RefundState.UNKNOWN

    settled = follow_unknown_refund(refund, f"  {taken.request_id}  ")
    assert (settled.state, settled.request_id) == (RefundState.FINISHED, str(taken.request_id))
    invoice = refreshed(invoice)
    assert (invoice.refund_reserved, invoice.refunded) == (Decimal("100.00"), Decimal("100.00"))
    with pytest.raises(RefundRefusedHere, match="outcome is unknown"):
        follow_unknown_refund(settled, str(taken.request_id))


def test_a_request_id_for_another_amount_or_refund_is_refused(refund_service):
    from wagtail_robokassa.services.refunds import follow_unknown_refund

    switch(RefundOutcome.ANSWER_LOST)
    invoice = paid()
    first = send_refund(request_refund(invoice, Decimal("100.00"))).refund
    second = send_refund(request_refund(invoice, Decimal("50.00"))).refund
    ids = {refund.amount: str(refund.request_id) for refund in EmulatedRefund.objects.all()}
    with pytest.raises(RefundRefusedHere, match="refunds 50"):
        follow_unknown_refund(first, ids[Decimal("50.00")])
    follow_unknown_refund(first, ids[Decimal("100.00")])
    with pytest.raises(RefundRefusedHere, match="belongs to another refund"):
        follow_unknown_refund(second, ids[Decimal("100.00")])


def test_an_unknown_refund_not_in_the_cabinet_releases_its_amount(refund_service):
    from wagtail_robokassa.services.refunds import abandon_unknown_refund

    switch(RefundOutcome.HTTP_500)
    invoice = paid()
    refund = send_refund(request_refund(invoice, Decimal("100.00"))).refund
    failed = []
    refund_failed.connect(lambda **kw: failed.append(kw["refund"].pk), weak=False, dispatch_uid="t")
    try:
        refund = abandon_unknown_refund(refund)
    finally:
        refund_failed.disconnect(dispatch_uid="t")
    assert refund.state == RefundState.FAILED
    assert "not in the ROBOKASSA cabinet" in refund.message
    assert refreshed(invoice).refund_reserved == 0
    assert failed == [refund.pk]
    with pytest.raises(RefundRefusedHere, match="outcome is unknown"):
        abandon_unknown_refund(refund)
    assert refreshed(invoice).refund_reserved == 0  # released once


def test_the_emulator_refuses_a_refund_it_could_not_keep(refund_service, client):
    import json

    from tests.status_servers import PASSWORD3
    from wagtail_robokassa.protocol import refund_token

    paid()
    items = [{"Name": "nul\x00", "Quantity": Decimal(1), "Cost": Decimal(1), "Tax": "none"}]
    token = refund_token({"OpKey": "op-1", "InvoiceItems": items}, PASSWORD3)
    answer = client.post(
        "/emulator/RefundService/Refund/Create", json.dumps(token), content_type="application/json"
    )
    assert answer.status_code == 200
    assert answer.json() == {"success": False, "message": "InvalidToken", "requestId": None}
    assert not EmulatedRefund.objects.exists()


# What a refund returns is what it records.

RECEIPT = BOOK_AND_DELIVERY


def line(name, quantity, cost):
    return {"Name": name, "Quantity": Decimal(quantity), "Cost": Decimal(cost)}


@pytest.mark.parametrize(
    ("amount", "items", "said"),
    [
        ("10.00", [line("Книга", 2, "300.00"), line("Доставка", 1, "390.00")], "add up to 990"),
        ("300.00", [line("Книга", 1, "300.00"), line("Книга", 1, "300.00")], "add up to 600"),
        ("900.00", [line("Книга", 2, "300.00"), line("Книга", 1, "300.00")], "At most 2"),
        ("100.00", [line("Подарок", 1, "100.00")], "not one of this payment"),
        ("301.00", [line("Книга", 1, "301.00")], "not one of this payment"),
        ("301.00", [{**line("Книга", 1, "301.00"), "Line": 0}], "at most at its price"),
        ("300.00", [{**line("Книга", 1, "300.00"), "Line": 1}], "not one of this payment"),
        ("0.31", [line("Книга", "0.001", "300.00")], "add up to 0.30"),
        ("300.00", [line("Книга", "NaN", "300.00")], "must be above 0"),
        ("300.00", [line("Книга", "-1", "300.00")], "must be above 0"),
        ("300.00", [line("Книга", "0.0001", "300.00")], "three decimals"),
    ],
)
def test_lines_that_are_not_the_amount_are_refused_by_the_service(
    refund_service, amount, items, said
):
    invoice = make_invoice("990.00", is_test=True, status=InvoiceStatus.PAID, receipt=RECEIPT)
    with pytest.raises(RefundRefusedHere, match=said):
        request_refund(invoice, Decimal(amount), items=items)
    assert not Refund.objects.exists()
    assert refreshed(invoice).refund_reserved == 0


def test_a_compensation_refunds_part_of_a_line_and_leaves_the_rest(refund_service):
    invoice = make_invoice("990.00", is_test=True, status=InvoiceStatus.PAID, receipt=RECEIPT)
    refund = request_refund(invoice, Decimal("300.00"), items=[line("Доставка", 1, "300.00")])
    assert refund.items[0]["Line"] == 1  # the receipt line it compensates, kept, never sent
    with pytest.raises(RefundRefusedHere, match=r"At most 90 of “Доставка”"):
        request_refund(invoice, Decimal("100.00"), items=[line("Доставка", 1, "100.00")])
    rest = request_refund(invoice, Decimal("90.00"), items=[line("Доставка", 1, "90.00")])
    assert rest.amount == Decimal("90.00")
    with pytest.raises(RefundRefusedHere, match=r"not one of this payment.s, or it was refunded"):
        request_refund(invoice, Decimal("1.00"), items=[line("Доставка", 1, "1.00")])


def test_lines_already_refunded_cannot_be_refunded_again(refund_service):
    invoice = make_invoice("990.00", is_test=True, status=InvoiceStatus.PAID, receipt=RECEIPT)
    request_refund(invoice, Decimal("300.00"), items=[line("Книга", 1, "300.00")])
    request_refund(invoice, Decimal("150.00"), items=[line("Книга", "0.5", "300.00")])
    with pytest.raises(RefundRefusedHere, match=r"At most 0\.5 of “Книга”"):
        request_refund(invoice, Decimal("300.00"), items=[line("Книга", 1, "300.00")])


def test_a_stale_payment_after_a_cancelled_refund_sends_the_amount_recorded(refund_service):
    invoice = paid("100.00")
    cancelled = request_refund(invoice, Decimal("50.00"))
    stale = refreshed(invoice)  # sees 50.00 reserved
    Refund.objects.filter(pk=cancelled.pk).update(state=RefundState.CANCELLED)
    Invoice.objects.filter(pk=invoice.pk).update(refund_reserved=0)  # released meanwhile

    refund = send_refund(request_refund(stale, Decimal("50.00"))).refund

    assert refund.state == RefundState.PROCESSING
    assert EmulatedRefund.objects.get().amount == Decimal("50.00")  # not all that is left
    assert refreshed(invoice).refund_reserved == Decimal("50.00")


@pytest.mark.parametrize("rest_first", [True, False], ids=["rest-first", "part-first"])
def test_the_rest_while_another_refund_is_open_never_refunds_more(refund_service, rest_first):
    invoice = paid("100.00")
    part = request_refund(invoice, Decimal("30.00"))
    rest = request_refund(invoice)  # "all that is left": 70.00
    assert (rest.amount, rest.whole_remainder) == (Decimal("70.00"), True)
    for refund in (rest, part) if rest_first else (part, rest):
        assert send_refund(refund).refund.state == RefundState.PROCESSING
    sent = sorted(EmulatedRefund.objects.values_list("amount", flat=True))
    assert sent == [Decimal("30.00"), Decimal("70.00")]  # each its own amount: 100 in all


def test_the_rest_after_an_unknown_refund_is_released_is_what_is_left(refund_service):
    from wagtail_robokassa.services.refunds import abandon_unknown_refund

    invoice = paid("100.00")
    unknown = request_refund(invoice, Decimal("30.00"))
    Refund.objects.filter(pk=unknown.pk).update(state=RefundState.UNKNOWN)
    rest = send_refund(request_refund(invoice)).refund
    abandon_unknown_refund(refreshed_refund(unknown))
    assert EmulatedRefund.objects.get().amount == rest.amount == Decimal("70.00")
    assert refreshed(invoice).refund_reserved == Decimal("70.00")


def refreshed_refund(refund):
    return Refund.objects.get(pk=refund.pk)


def test_an_op_key_smuggled_into_a_notification_is_ignored(refund_service):
    from wagtail_robokassa.models import NotificationSource, SuccessNotification

    invoice = paid()
    SuccessNotification.objects.create(
        merchant_login=LOGIN,
        is_test=True,
        inv_id=invoice.pk,
        out_sum=invoice.amount,
        invoice=invoice,
        source=NotificationSource.RESULT_URL,
        params={"OutSum": "990.00", "InvId": str(invoice.pk), "OpKey": "someone-elses-op"},
    )
    refund = send_refund(request_refund(invoice, Decimal("10.00"))).refund
    assert refund.state == RefundState.PROCESSING
    assert EmulatedRefund.objects.get().operation.op_key == "op-1"  # asked of ROBOKASSA


@pytest.mark.django_db
def test_accepted_without_a_request_id_stays_reserved_as_unknown(misbehaving, settings):
    settings.ROBOKASSA_PASSWORD3 = "refund-password-3"
    settings.ROBOKASSA_TEST_MODE = True
    paid_xml = (
        b'<?xml version="1.0" encoding="utf-8"?><OperationStateResponse><Result><Code>0</Code>'
        b"</Result><State><Code>100</Code></State><Info><OpKey>op-1</OpKey></Info>"
        b"</OperationStateResponse>"
    )
    misbehaving((200, paid_xml), (200, b'{"success": true}'))
    invoice = make_invoice("990.00", is_test=True, status=InvoiceStatus.PAID)
    refund = send_refund(request_refund(invoice, Decimal("10.00"))).refund
    assert refund.state == RefundState.UNKNOWN
    assert refreshed(invoice).refund_reserved == Decimal("10.00")  # never released unchecked


def test_a_pasted_request_id_in_another_case_is_another_refunds(refund_service):
    from wagtail_robokassa.services.refunds import follow_unknown_refund

    first = send_refund(request_refund(paid(), Decimal("10.00"))).refund
    other = make_invoice("990.00", is_test=True, status=InvoiceStatus.PAID)
    unknown = Refund.objects.create(
        invoice=other, amount=Decimal("10.00"), state=RefundState.UNKNOWN
    )
    with pytest.raises(RefundRefusedHere, match="belongs to another refund"):
        follow_unknown_refund(unknown, first.request_id.upper())
    assert refreshed_refund(unknown).state == RefundState.UNKNOWN


def test_a_request_id_is_kept_in_one_form(refund_service):
    refund = send_refund(request_refund(paid(), Decimal("10.00"))).refund
    assert refund.request_id == refund.request_id.lower()


@pytest.mark.django_db
def test_settling_needs_robokassas_amount(misbehaving, settings):
    from wagtail_robokassa.services.refunds import follow_unknown_refund

    misbehaving(
        (200, b'{"requestId": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "label": "finished"}')
    )
    invoice = make_invoice("990.00", is_test=True, status=InvoiceStatus.PAID)
    unknown = Refund.objects.create(
        invoice=invoice, amount=Decimal("10.00"), state=RefundState.UNKNOWN
    )
    with pytest.raises(RefundRefusedHere, match="gives no amount"):
        follow_unknown_refund(unknown, "3FA85F64-5717-4562-B3FC-2C963F66AFA6")
    assert refreshed_refund(unknown).state == RefundState.UNKNOWN


@pytest.mark.django_db
def test_another_amount_at_robokassa_is_flagged(misbehaving, settings):
    misbehaving(
        (
            200,
            b'{"requestId": "3fa85f64-5717-4562-b3fc-2c963f66afa6", "label": "finished", '
            b'"amount": 100}',
        )
    )
    invoice = make_invoice(
        "990.00", is_test=True, status=InvoiceStatus.PAID, refund_reserved=Decimal("10.00")
    )
    refund = Refund.objects.create(
        invoice=invoice,
        amount=Decimal("10.00"),
        state=RefundState.PROCESSING,
        request_id="3fa85f64-5717-4562-b3fc-2c963f66afa6",
    )
    refund = follow_refund(refund)
    assert refund.state == RefundState.FINISHED
    assert refund.robokassa_amount == Decimal("100.00")
    assert refund.amount_differs
