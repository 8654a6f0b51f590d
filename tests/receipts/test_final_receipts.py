"""The final (second) receipt end to end against the emulator's RoboFiscal over HTTP: sent at
most once per payment, refused or unreachable ones sent again, uncertain ones never, followed
until registered; and the network's failures told apart with a misbehaving server."""

from decimal import Decimal

import pytest
from django.utils import timezone

from tests.helpers import LOGIN, make_invoice
from tests.status_servers import closed_port
from wagtail_robokassa.contrib.emulator.models import (
    EmulatedOperation,
    EmulatedReceipt,
    EmulatorSwitches,
    ReceiptOutcome,
)
from wagtail_robokassa.models import InvoiceStatus, SecondReceipt, SecondReceiptState
from wagtail_robokassa.protocol import verify_fiscal_body
from wagtail_robokassa.services.config import get_config
from wagtail_robokassa.services.final_receipts import (
    FinalReceiptRefusedHere,
    follow_final_receipt,
    follow_final_receipts,
    request_final_receipt,
    send_final_receipt,
    send_unknown_again,
    why_no_final_receipt,
)
from wagtail_robokassa.signals import final_receipt_registered, final_receipt_sent

PREPAID = {
    "sno": "usn_income",
    "items": [
        {"name": "Книга «Python»/2", "quantity": 2, "sum": "600.00", "tax": "none",
         "payment_method": "full_prepayment", "payment_object": "commodity"},
        {"name": "Доставка", "quantity": 1, "sum": "390.50", "tax": "vat20",
         "payment_method": "full_prepayment", "payment_object": "service"},
    ],
}  # fmt: skip


def paid(receipt=PREPAID, email="buyer@example.com", **fields):
    invoice = make_invoice(
        "990.50",
        is_test=True,
        status=InvoiceStatus.PAID,
        email=email,
        receipt=receipt,
        **fields,
    )
    EmulatedOperation.objects.create(
        merchant_login=LOGIN, inv_id=invoice.pk, out_sum=invoice.amount, state=100, op_key="op-1"
    )
    return invoice


def switch(outcome):
    EmulatorSwitches.objects.update_or_create(pk=1, defaults={"receipt_outcome": outcome})


def test_sent_once_then_registered_with_its_fiscal_details(fiscal_service):
    invoice = paid()
    sent, registered = [], []
    final_receipt_sent.connect(lambda **kw: sent.append(kw), weak=False, dispatch_uid="t-sent")
    final_receipt_registered.connect(
        lambda **kw: registered.append(kw), weak=False, dispatch_uid="t-reg"
    )
    try:
        receipt = send_final_receipt(request_final_receipt(invoice))
        assert receipt.state == SecondReceiptState.SENT
        assert receipt.total == Decimal("990.50")
        taken = EmulatedReceipt.objects.get()
        assert taken.receipt_id == str(receipt.receipt_id)
        assert taken.payload["originId"] == invoice.pk
        assert [item["payment_method"] for item in taken.payload["items"]] == ["full_payment"] * 2
        assert taken.payload["items"][0]["name"] == "Книга «Python»/2"
        assert taken.payload["client"] == {"email": "buyer@example.com"}
        (payment,) = taken.payload["payments"]
        assert (payment["type"], Decimal(payment["sum"])) == (2, Decimal("990.50"))
        assert receipt.payload["total"] == "990.50"  # what was sent, kept exactly

        receipt = follow_final_receipt(receipt)
        assert receipt.state == SecondReceiptState.REGISTERED
        assert receipt.document_number == str(1000 + taken.pk)
        assert receipt.fn_number
        assert receipt.fiscal_date
        assert [kw["receipt"].pk for kw in sent] == [receipt.pk]
        assert [kw["invoice"].pk for kw in registered] == [invoice.pk]
    finally:
        final_receipt_sent.disconnect(dispatch_uid="t-sent")
        final_receipt_registered.disconnect(dispatch_uid="t-reg")

    again = request_final_receipt(invoice)
    assert again.pk == receipt.pk
    assert send_final_receipt(again).state == SecondReceiptState.REGISTERED
    assert EmulatedReceipt.objects.count() == 1  # asked twice: sent once
    assert "already been sent" in why_no_final_receipt(invoice, get_config())


def test_a_refused_receipt_can_be_sent_again_with_the_same_id(fiscal_service):
    invoice = paid()
    switch(ReceiptOutcome.REFUSED)
    receipt = send_final_receipt(request_final_receipt(invoice))
    assert receipt.state == SecondReceiptState.FAILED
    assert "ROBOKASSA refused the receipt (1)" in receipt.message
    assert not EmulatedReceipt.objects.exists()

    switch(ReceiptOutcome.REGISTERED)
    again = send_final_receipt(request_final_receipt(invoice))
    assert (again.pk, again.receipt_id) == (receipt.pk, receipt.receipt_id)
    assert again.state == SecondReceiptState.SENT
    assert EmulatedReceipt.objects.count() == 1


def test_an_uncertain_outcome_is_never_sent_again(fiscal_service):
    invoice = paid()
    switch(ReceiptOutcome.HTTP_500)
    receipt = send_final_receipt(request_final_receipt(invoice))
    assert receipt.state == SecondReceiptState.UNKNOWN
    assert "Check it in the ROBOKASSA cabinet" in receipt.message
    switch(ReceiptOutcome.REGISTERED)
    assert "already been sent (Outcome unknown)" in why_no_final_receipt(invoice, get_config())
    assert request_final_receipt(invoice).state == SecondReceiptState.UNKNOWN
    assert follow_final_receipts()["sent"] == 0
    assert not EmulatedReceipt.objects.exists()


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"receipt": None}, "not a prepayment"),
        ({"receipt": {"items": [{**PREPAID["items"][0], "payment_method": "full_payment"}]}},
         "not a prepayment"),
        ({"email": ""}, "e-mail is needed"),
        ({"status": InvoiceStatus.PENDING}, "Only a paid payment"),
    ],
)  # fmt: skip
def test_what_needs_no_final_receipt_says_why(fiscal_service, fields, why):
    fields = {"receipt": PREPAID, "email": "buyer@example.com", **fields}
    status = fields.pop("status", InvoiceStatus.PAID)
    invoice = make_invoice("990.50", is_test=True, status=status, **fields)
    with pytest.raises(FinalReceiptRefusedHere, match=why):
        request_final_receipt(invoice)
    assert not SecondReceipt.objects.exists()


@pytest.mark.django_db
def test_test_payments_get_none_without_the_emulator(settings):
    settings.ROBOKASSA_FISCAL_URL = ""
    invoice = make_invoice(
        "990.50", is_test=True, status=InvoiceStatus.PAID, email="b@example.com", receipt=PREPAID
    )
    assert "no receipts for test payments" in why_no_final_receipt(invoice, get_config())


@pytest.mark.django_db
def test_no_connection_fails_and_may_be_sent_again(settings):
    settings.ROBOKASSA_FISCAL_URL = f"http://127.0.0.1:{closed_port()}/RoboFiscal"
    invoice = make_invoice(
        "990.50", is_test=True, status=InvoiceStatus.PAID, email="b@example.com", receipt=PREPAID
    )
    receipt = send_final_receipt(request_final_receipt(invoice))
    assert receipt.state == SecondReceiptState.FAILED
    assert "nothing was sent" in receipt.message


@pytest.mark.django_db
def test_a_timeout_is_unknown_and_the_body_is_signed(misbehaving, settings):
    settings.ROBOKASSA_INTERACTIVE_DEADLINE = 0.3
    seen = misbehaving(("sleep", 1.5))
    invoice = make_invoice(
        "990.50", is_test=True, status=InvoiceStatus.PAID, email="b@example.com", receipt=PREPAID
    )
    receipt = send_final_receipt(request_final_receipt(invoice))
    assert receipt.state == SecondReceiptState.UNKNOWN
    assert len(seen.raw) == 1  # never retried after sending
    config = get_config()
    payload = verify_fiscal_body(seen.raw[0], config.test_password1, config.algorithm)
    assert payload["id"] == str(receipt.receipt_id)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answer", "state"),
    [
        ((200, b'{"ResultCode":"0","ResultDescription":"ok"}'), SecondReceiptState.SENT),
        ((200, b'{"ResultCode":"13","ResultDescription":"bad"}'), SecondReceiptState.FAILED),
        ((200, b"<html>busy</html>"), SecondReceiptState.UNKNOWN),
        ((502, b'{"ResultCode":"0"}'), SecondReceiptState.UNKNOWN),
        ((200, b"[1]"), SecondReceiptState.UNKNOWN),
        ((200, b"\xff\xfe"), SecondReceiptState.UNKNOWN),
    ],
)
def test_answers_of_any_shape(misbehaving, answer, state):
    misbehaving(answer)
    invoice = make_invoice(
        "990.50", is_test=True, status=InvoiceStatus.PAID, email="b@example.com", receipt=PREPAID
    )
    assert send_final_receipt(request_final_receipt(invoice)).state == state


@pytest.mark.django_db
def test_a_status_without_a_document_number_is_asked_again_later(misbehaving):
    misbehaving(
        (200, b'{"ResultCode":"0","ResultDescription":"ok"}'),
        (200, b'{"Code":"1","Description":"in queue"}'),
    )
    invoice = make_invoice(
        "990.50", is_test=True, status=InvoiceStatus.PAID, email="b@example.com", receipt=PREPAID
    )
    receipt = follow_final_receipt(send_final_receipt(request_final_receipt(invoice)))
    assert receipt.state == SecondReceiptState.SENT
    assert (receipt.polls, receipt.message) == (1, "in queue")
    assert receipt.next_poll_at is not None


def test_a_receipt_taken_with_its_answer_lost_is_settled_by_the_poll(fiscal_service):
    invoice = paid()
    switch(ReceiptOutcome.ANSWER_LOST)
    receipt = send_final_receipt(request_final_receipt(invoice))
    assert receipt.state == SecondReceiptState.UNKNOWN
    assert EmulatedReceipt.objects.count() == 1  # it did arrive
    switch(ReceiptOutcome.REGISTERED)
    SecondReceipt.objects.update(next_poll_at=timezone.now())
    assert follow_final_receipts() == {"sent": 0, "interrupted": 0, "registered": 1}
    receipt.refresh_from_db()
    assert receipt.state == SecondReceiptState.REGISTERED
    assert receipt.document_number
    assert EmulatedReceipt.objects.count() == 1


def test_an_unknown_receipt_that_never_arrived_is_sent_again_only_when_asked(fiscal_service):
    invoice = paid()
    switch(ReceiptOutcome.HTTP_500)
    receipt = send_final_receipt(request_final_receipt(invoice))
    switch(ReceiptOutcome.REGISTERED)
    followed = follow_final_receipt(receipt)
    assert followed.state == SecondReceiptState.UNKNOWN  # not registered: never resent alone
    assert "Check it in the ROBOKASSA cabinet" in followed.message
    assert followed.polls == 1
    assert not EmulatedReceipt.objects.exists()

    again = send_final_receipt(send_unknown_again(followed))
    assert (again.state, again.receipt_id) == (SecondReceiptState.SENT, receipt.receipt_id)
    assert EmulatedReceipt.objects.get().receipt_id == str(receipt.receipt_id)
    with pytest.raises(FinalReceiptRefusedHere, match="outcome is unknown"):
        send_unknown_again(again)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-29T01:53:34+03:00", "2026-11-28T22:53:34+00:00"),
        ("2026-11-29T01:53:34", None),  # no offset: shown as written
        ("29.11.2026 01:53", None),
        ("", None),
        ("\x00" * 100, None),
    ],
)
def test_the_fiscal_date_as_a_time(text, expected):
    from datetime import UTC

    moment = SecondReceipt(fiscal_date=text).fiscal_moment
    assert (moment.astimezone(UTC).isoformat() if moment else None) == expected


@pytest.mark.parametrize("name", ["nul\x00", "surrogate\udcff"])
def test_the_emulator_refuses_a_receipt_it_could_not_keep(fiscal_service, client, name):
    """A signed receipt with a NUL or a lone surrogate is refused, not a server error (the
    database could not keep it)."""
    import json

    from wagtail_robokassa.protocol import second_receipt_payload
    from wagtail_robokassa.protocol.fiscal import fiscal_signature
    from wagtail_robokassa.protocol.phpjson import b64url

    invoice = paid()
    payload = second_receipt_payload(
        merchant_login=LOGIN,
        receipt_id=10**13,
        inv_id=invoice.pk,
        url="",
        items=[{"name": name, "quantity": 1, "sum": "1.00", "tax": "none"}],
        email="b@example.com",
    )
    config = get_config()
    encoded = b64url(json.dumps(payload, default=str).encode("ascii"))  # \u escapes, as sent
    body = f"{encoded}.{fiscal_signature(encoded, config.test_password1, config.algorithm)}"
    answer = client.post(
        "/emulator/RoboFiscal/Receipt/Attach", body, content_type="application/json"
    )
    assert answer.status_code == 200
    assert answer.json()["ResultCode"] == "3"
    assert not EmulatedReceipt.objects.exists()


@pytest.mark.django_db
def test_a_compressed_answer_is_read(misbehaving):
    """ROBOKASSA's services may gzip their answers (the client asks for it): the answer is
    read as its text, not taken for an unreadable one (which would leave the receipt unknown)."""
    import gzip

    gzipped = gzip.compress(b'{"ResultCode":"0","ResultDescription":"ok"}')
    misbehaving((200, gzipped, {"Content-Encoding": "gzip"}))
    invoice = make_invoice(
        "990.50", is_test=True, status=InvoiceStatus.PAID, email="b@example.com", receipt=PREPAID
    )
    assert send_final_receipt(request_final_receipt(invoice)).state == SecondReceiptState.SENT


# Refunds and the final receipt.


def book(quantity):
    return {"Name": "Книга «Python»/2", "Quantity": Decimal(quantity), "Cost": Decimal("300.00")}


@pytest.fixture
def refunds_allowed(settings):
    settings.ROBOKASSA_PASSWORD3 = "refund-password-3"
    settings.ROBOKASSA_REFUND_URL = "http://127.0.0.1:9/RefundService"  # nothing is sent here


def test_no_final_receipt_while_a_full_refund_is_open(fiscal_service, refunds_allowed):
    from wagtail_robokassa.services.refunds import request_refund

    invoice = paid()
    request_refund(invoice)  # all of it, not settled yet
    invoice.refresh_from_db()
    assert "refund of the whole payment is open" in why_no_final_receipt(invoice, get_config())
    with pytest.raises(FinalReceiptRefusedHere):
        request_final_receipt(invoice)


def test_the_final_receipt_leaves_out_what_finished_refunds_returned(
    fiscal_service, refunds_allowed
):
    from wagtail_robokassa.models import Refund, RefundState
    from wagtail_robokassa.services.refunds import request_refund

    invoice = paid()
    refund = request_refund(invoice, Decimal("300.00"), items=[book(1)])
    still_open = request_refund(invoice, Decimal("390.50"), items=[
        {"Name": "Доставка", "Quantity": Decimal(1), "Cost": Decimal("390.50")}
    ])  # fmt: skip
    Refund.objects.filter(pk=refund.pk).update(state=RefundState.FINISHED)
    invoice.refresh_from_db()

    receipt = send_final_receipt(request_final_receipt(invoice))

    assert receipt.state == SecondReceiptState.SENT
    assert receipt.total == Decimal("690.50")  # one book of two, and the delivery still open
    sent = {item["name"]: item for item in receipt.payload["items"]}
    assert (
        Decimal(str(sent["Книга «Python»/2"]["quantity"])),
        Decimal(str(sent["Книга «Python»/2"]["sum"])),
    ) == (1, Decimal("300.00"))
    assert "Доставка" in sent
    assert still_open.state == RefundState.REQUESTED


def test_a_compensation_lowers_the_line_it_compensated(fiscal_service, refunds_allowed):
    from wagtail_robokassa.models import Refund, RefundState
    from wagtail_robokassa.services.refunds import request_refund

    invoice = paid()
    part = {"Name": "Доставка", "Quantity": Decimal(1), "Cost": Decimal("90.50")}
    refund = request_refund(invoice, Decimal("90.50"), items=[part])
    Refund.objects.filter(pk=refund.pk).update(state=RefundState.FINISHED)
    lines = {line["name"]: line for line in build_lines(invoice)}
    assert (Decimal(str(lines["Доставка"]["quantity"])), lines["Доставка"]["sum"]) == (
        1,
        Decimal("300.00"),
    )
    assert Decimal(str(lines["Книга «Python»/2"]["sum"])) == Decimal("600.00")


def test_a_line_refunded_whole_is_left_out(fiscal_service, refunds_allowed):
    from wagtail_robokassa.models import Refund, RefundState
    from wagtail_robokassa.services.refunds import request_refund

    invoice = paid()
    refund = request_refund(invoice, Decimal("600.00"), items=[book(2)])
    Refund.objects.filter(pk=refund.pk).update(state=RefundState.FINISHED)
    invoice.refresh_from_db()
    assert why_no_final_receipt(invoice, get_config()) == ""
    assert [line["name"] for line in build_lines(invoice)] == ["Доставка"]


def build_lines(invoice):
    from wagtail_robokassa.services.final_receipts import final_lines

    return final_lines(invoice)
