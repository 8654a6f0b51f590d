""" "Refund" in the admin: the form, its confirmation, the refund made once per click against the
emulator over HTTP, the history on the payment, its own permission and CSRF."""

import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from tests.admin.conftest import make_user
from tests.helpers import BOOK_AND_DELIVERY, LOGIN, make_invoice
from wagtail_robokassa.contrib.emulator.models import EmulatedOperation, EmulatedRefund
from wagtail_robokassa.models import Invoice, InvoiceStatus, Refund, RefundState

RECEIPT = BOOK_AND_DELIVERY


def paid(**fields):
    invoice = make_invoice(
        "990.00", is_test=True, status=InvoiceStatus.PAID, email="buyer@example.com", **fields
    )
    EmulatedOperation.objects.create(
        merchant_login=LOGIN, inv_id=invoice.pk, out_sum=invoice.amount, state=100, op_key="op-1"
    )
    return invoice


def refund_url(invoice):
    return f"/admin/robokassa_payments/refund/{invoice.pk}/"


def form_of(response):
    html = response.content.decode()
    key = re.search(r'name="key" value="([0-9a-f-]+)"', html)[1]
    return html, key


def test_refund_a_part_with_its_receipt_line(refund_service, superuser_client):
    invoice = paid(receipt=RECEIPT)
    inspect = superuser_client.get(f"/admin/robokassa_payments/inspect/{invoice.pk}/")
    assert refund_url(invoice) in inspect.content.decode()

    html, key = form_of(superuser_client.get(refund_url(invoice)))
    assert 'value="990.00"' in html  # all that is left, prefilled…
    assert re.search(r'name="line_0" value="2"', html)  # …with the lines that make it up
    assert re.search(r'name="line_1" value="1"', html)
    assert "Книга" in html
    assert "At most 2, at 300.00" in html

    data = {"amount": "390.00", "line_0": "0", "line_1": "1", "reason": "not delivered", "key": key}
    confirm = superuser_client.post(refund_url(invoice), data)
    text = confirm.content.decode()
    assert "Refund 390,00" in text or "Refund 390.00" in text
    assert "buyer@example.com" in text
    assert not Refund.objects.exists()  # nothing before the confirmation

    done = superuser_client.post(refund_url(invoice), {**data, "confirm": "1"}, follow=True)
    (message,) = [str(m) for m in get_messages(done.wsgi_request)]
    assert "ROBOKASSA accepted the refund of 390.00" in message
    refund = Refund.objects.get()
    assert (refund.state, refund.amount, refund.reason) == (
        RefundState.PROCESSING,
        Decimal("390.00"),
        "not delivered",
    )
    assert refund.items == [
        {"Name": "Доставка", "Quantity": "1", "Cost": "390.00", "Tax": "none",
         "PaymentMethod": "full_payment", "PaymentObject": "service", "Line": 1},
    ]  # fmt: skip
    assert refund.requested_by.username == "root"
    sent = EmulatedRefund.objects.get()
    assert sent.amount == Decimal("390.00")
    assert sent.items[0]["Name"] == "Доставка"
    assert "Line" not in sent.items[0]  # the receipt position stays here
    assert "Refunds" in done.content.decode()  # the history on the payment

    again = superuser_client.post(refund_url(invoice), {**data, "confirm": "1"})
    assert again.status_code == 302
    assert Refund.objects.count() == 1  # the same click: one refund
    assert EmulatedRefund.objects.count() == 1


def test_lines_that_do_not_add_up_to_the_amount_are_a_form_error(refund_service, superuser_client):
    invoice = paid(receipt=RECEIPT)
    _, key = form_of(superuser_client.get(refund_url(invoice)))
    for lines in ({"line_0": "2", "line_1": "1"}, {"line_0": "1"}, {"line_1": "1"}):
        response = superuser_client.post(
            refund_url(invoice), {"amount": "10.00", "key": key, "confirm": "1", **lines}
        )
        assert response.status_code == 200
        assert "not to the refund&#x27;s 10" in response.content.decode()
    too_many = superuser_client.post(
        refund_url(invoice), {"amount": "900.00", "key": key, "line_0": "3", "confirm": "1"}
    )
    assert "Ensure this value is less than or equal to 2" in too_many.content.decode()
    assert not Refund.objects.exists()


def test_a_partial_quantity_and_no_lines_at_all_are_allowed(refund_service, superuser_client):
    invoice = paid(receipt=RECEIPT)
    _, key = form_of(superuser_client.get(refund_url(invoice)))
    data = {"amount": "300.00", "key": key, "line_0": "1", "line_1": "0", "confirm": "1"}
    superuser_client.post(refund_url(invoice), data)
    refund = Refund.objects.get()
    assert [(line["Name"], line["Quantity"]) for line in refund.items] == [("Книга", "1")]

    html, key = form_of(superuser_client.get(refund_url(invoice)))
    assert "At most 1, at 300.00" in html  # the book refunded is not offered again
    assert re.search(r'name="line_0" value="1"', html)  # 690 left: what the lines make up
    assert re.search(r'name="line_1" value="1"', html)
    superuser_client.post(refund_url(invoice), {"amount": "50.00", "key": key, "confirm": "1"})
    assert Refund.objects.filter(amount=Decimal("50.00"), items__isnull=True).exists()


def test_a_compensation_from_the_form(refund_service, superuser_client):
    invoice = paid(receipt=RECEIPT)
    _, key = form_of(superuser_client.get(refund_url(invoice)))
    uneven = superuser_client.post(
        refund_url(invoice),
        {"amount": "100.01", "key": key, "line_0": "2", "line_0_sum": "100.01", "confirm": "1"},
    )
    assert "split evenly among the units" in uneven.content.decode()
    no_units = superuser_client.post(
        refund_url(invoice), {"amount": "100.00", "key": key, "line_1_sum": "100.00"}
    )
    assert "how many units the sum is for" in no_units.content.decode()
    data = {"amount": "300.00", "key": key, "line_1": "1", "line_1_sum": "300.00"}
    confirm = superuser_client.post(refund_url(invoice), data).content.decode()
    assert 'name="line_1_sum" value="300.00"' in confirm
    superuser_client.post(refund_url(invoice), {**data, "confirm": "1"})
    refund = Refund.objects.get()
    assert (refund.items[0]["Name"], refund.items[0]["Cost"]) == ("Доставка", "300.00")
    assert EmulatedRefund.objects.get().items[0]["Cost"] == 300
    html, _ = form_of(superuser_client.get(refund_url(invoice)))
    assert re.search(r'name="line_1_sum"[^>]*value="90.00"', html) or 'value="90.00"' in html


def test_the_amount_is_entered_in_russian(refund_service, superuser_client):
    invoice = paid()
    superuser_client.cookies["django_language"] = "ru"
    _, key = form_of(superuser_client.get(refund_url(invoice), HTTP_ACCEPT_LANGUAGE="ru"))
    confirm = superuser_client.post(
        refund_url(invoice), {"amount": "50,00", "key": key}, HTTP_ACCEPT_LANGUAGE="ru"
    )
    html = confirm.content.decode()
    assert "Подтвердить возврат" in html
    assert re.search(r'name="amount" value="50.00"', html)
    superuser_client.post(
        refund_url(invoice),
        {"amount": "50.00", "key": key, "confirm": "1"},
        HTTP_ACCEPT_LANGUAGE="ru",
    )
    assert Refund.objects.get().amount == Decimal("50.00")


def test_more_than_is_left_is_a_form_error(refund_service, superuser_client):
    invoice = paid()
    _, key = form_of(superuser_client.get(refund_url(invoice)))
    response = superuser_client.post(
        refund_url(invoice), {"amount": "990.01", "key": key, "confirm": "1"}
    )
    assert response.status_code == 200
    assert "Ensure this value is less than or equal to 990.00" in response.content.decode()
    assert not Refund.objects.exists()


@pytest.mark.django_db
def test_what_cannot_be_refunded_says_why_and_offers_no_form(superuser_client, settings):
    settings.ROBOKASSA_REFUND_URL = ""
    invoice = make_invoice(is_test=True, status=InvoiceStatus.PAID)
    html = superuser_client.get(refund_url(invoice)).content.decode()
    assert "no test mode for refunds" in html
    assert 'name="amount"' not in html
    response = superuser_client.post(refund_url(invoice), {"amount": "1.00", "confirm": "1"})
    assert response.status_code == 200
    assert not Refund.objects.exists()


@pytest.mark.django_db
def test_refunds_need_their_own_permission(client, settings):
    settings.ROBOKASSA_REFUND_URL = "http://127.0.0.1:9/RefundService"
    invoice = make_invoice(status=InvoiceStatus.PAID)
    client.force_login(make_user("viewer", "view_invoice", "check_invoice"))
    inspect = client.get(f"/admin/robokassa_payments/inspect/{invoice.pk}/").content.decode()
    assert refund_url(invoice) not in inspect
    refused = client.post(refund_url(invoice), {"amount": "1.00", "confirm": "1"})
    assert refused.status_code == 403
    assert not Refund.objects.exists()


@pytest.mark.django_db
def test_the_refund_needs_a_csrf_token():
    invoice = make_invoice(status=InvoiceStatus.PAID)
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("refunder", "view_invoice", "refund_invoice"))
    response = client.post(refund_url(invoice), {"amount": "1.00", "confirm": "1"})
    assert response.status_code == 403
    assert not Refund.objects.exists()


@pytest.mark.django_db
def test_an_unknown_payment_is_404(superuser_client):
    assert superuser_client.get("/admin/robokassa_payments/refund/999999/").status_code == 404
    assert superuser_client.get("/admin/robokassa_payments/refund/99999999999/").status_code == 404


@pytest.mark.django_db
def test_the_refunds_listing_filters_inspects_and_exports(superuser_client):
    import csv
    import io

    invoice = make_invoice(
        "990.00", status=InvoiceStatus.PAID, refund_reserved="400.00", refunded="300.00"
    )
    finished = Refund.objects.create(
        invoice=invoice, amount="300.00", state=RefundState.FINISHED, reason="damaged",
        items=[{"Name": "Книга", "Quantity": "1", "Cost": "300.00", "Tax": "none",
                "PaymentMethod": "full_payment", "PaymentObject": "commodity"}],
    )  # fmt: skip
    Refund.objects.create(invoice=invoice, amount="100.00", state=RefundState.UNKNOWN)

    listing = superuser_client.get("/admin/robokassa_refunds/", {"state": "finished"})
    assert listing.status_code == 200
    assert [refund.pk for refund in listing.context["object_list"]] == [finished.pk]
    by_inv_id = superuser_client.get("/admin/robokassa_refunds/", {"q": str(invoice.pk)})
    assert len(by_inv_id.context["object_list"]) == 2

    page = superuser_client.get(f"/admin/robokassa_refunds/inspect/{finished.pk}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Книга" in html  # the receipt line, as a table
    assert f"/admin/robokassa_payments/inspect/{invoice.pk}/" in html  # the related payment

    export = superuser_client.get("/admin/robokassa_refunds/export/csv/")
    rows = list(csv.reader(io.StringIO(b"".join(export.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:5] == ["InvId", "Requested", "Amount", "State", "State, in words"]
    assert {row[3] for row in rows[1:]} == {"finished", "unknown"}

    payments = superuser_client.get("/admin/robokassa_payments/").content.decode()
    assert "300.00\N{NO-BREAK SPACE}₽" in payments  # the refunded total


@pytest.mark.django_db
def test_refund_records_are_never_edited_by_hand(superuser_client):
    invoice = make_invoice(status=InvoiceStatus.PAID)
    refund = Refund.objects.create(invoice=invoice, amount="1.00")
    for url in ("add/", f"edit/{refund.pk}/", f"delete/{refund.pk}/"):
        assert superuser_client.get(f"/admin/robokassa_refunds/{url}").status_code in (403, 404)


def test_a_processing_refund_can_be_checked_now(refund_service, superuser_client):
    invoice = paid()
    _, key = form_of(superuser_client.get(refund_url(invoice)))
    superuser_client.post(refund_url(invoice), {"amount": "100.00", "key": key, "confirm": "1"})
    refund = Refund.objects.get()
    check = f"/admin/robokassa_payments/refund-state/{refund.pk}/"
    assert (
        check
        in superuser_client.get(f"/admin/robokassa_payments/inspect/{invoice.pk}/").content.decode()
    )
    assert superuser_client.get(check).status_code == 405
    done = superuser_client.post(check, follow=True)
    messages = [str(m) for m in get_messages(done.wsgi_request)]
    assert "The refund of 100.00" in messages[-1]
    assert "is finished" in messages[-1]
    assert Refund.objects.get().state == RefundState.FINISHED
    html = done.content.decode()
    assert check not in html
    assert "Partially refunded: 100.00" in " ".join(html.split())


@pytest.mark.django_db
def test_checking_a_refund_needs_the_permission(client):
    invoice = make_invoice(status=InvoiceStatus.PAID)
    refund = Refund.objects.create(invoice=invoice, amount=Decimal("1.00"), state="processing")
    client.force_login(make_user("viewer", "view_invoice", "check_invoice"))
    response = client.post(f"/admin/robokassa_payments/refund-state/{refund.pk}/")
    assert response.url == "/admin/"
    assert Refund.objects.get().polls == 0


def test_the_confirmation_works_in_russian(refund_service, superuser_client):
    """The confirmation carries the amount unlocalised ("390.00", not "390,00")."""
    invoice = paid()
    superuser_client.cookies["django_language"] = "ru"
    _, key = form_of(superuser_client.get(refund_url(invoice), HTTP_ACCEPT_LANGUAGE="ru"))
    data = {"amount": "390.00", "key": key}
    confirm = superuser_client.post(refund_url(invoice), data, HTTP_ACCEPT_LANGUAGE="ru")
    html = confirm.content.decode()
    assert "Подтвердить возврат" in html
    amount = re.search(r'name="amount" value="([^"]+)"', html)[1]
    assert amount == "390.00"
    superuser_client.post(
        refund_url(invoice), {**data, "amount": amount, "confirm": "1"}, HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert Refund.objects.get().amount == Decimal("390.00")


def test_an_unknown_refund_is_settled_from_the_payments_page(refund_service, superuser_client):
    from wagtail_robokassa.contrib.emulator.models import EmulatorSwitches, RefundOutcome

    EmulatorSwitches.objects.update_or_create(
        pk=1, defaults={"refund_outcome": RefundOutcome.ANSWER_LOST}
    )
    invoice = paid()
    _, key = form_of(superuser_client.get(refund_url(invoice)))
    superuser_client.post(refund_url(invoice), {"amount": "100.00", "key": key, "confirm": "1"})
    refund = Refund.objects.get()
    assert refund.state == RefundState.UNKNOWN
    settle = f"/admin/robokassa_payments/refund-settle/{refund.pk}/"
    inspect = f"/admin/robokassa_payments/inspect/{invoice.pk}/"
    html = superuser_client.get(inspect).content.decode()
    assert settle in html
    assert "Look for it in the ROBOKASSA cabinet" in html

    nul = superuser_client.post(settle, {"request_id": "5f0c\x00" * 8}, follow=True)
    assert nul.status_code == 200
    assert "This is not a ROBOKASSA refund request id." in [
        str(m) for m in get_messages(nul.wsgi_request)
    ]
    wrong = superuser_client.post(settle, {"request_id": "nonsense"}, follow=True)
    assert "This is not a ROBOKASSA refund request id." in [
        str(m) for m in get_messages(wrong.wsgi_request)
    ]
    request_id = str(EmulatedRefund.objects.get().request_id)
    done = superuser_client.post(settle, {"request_id": request_id}, follow=True)
    assert "The refund of 100.00" in str(list(get_messages(done.wsgi_request))[-1])
    assert Refund.objects.get().state == RefundState.FINISHED
    assert settle not in done.content.decode()


def test_an_unknown_refund_recorded_as_not_made(superuser_client):
    invoice = make_invoice("990.00", status=InvoiceStatus.PAID)
    Invoice.objects.filter(pk=invoice.pk).update(refund_reserved=Decimal("5.00"))
    refund = Refund.objects.create(invoice=invoice, amount=Decimal("5.00"), state="unknown")
    settle = f"/admin/robokassa_payments/refund-settle/{refund.pk}/"
    assert superuser_client.get(settle).status_code == 405
    superuser_client.post(settle, {"not_made": "1"})
    assert Refund.objects.get().state == RefundState.FAILED
    assert Invoice.objects.get(pk=invoice.pk).refund_reserved == 0


@pytest.mark.django_db
def test_settling_needs_the_permission_and_a_csrf_token():
    invoice = make_invoice("990.00", status=InvoiceStatus.PAID)
    refund = Refund.objects.create(invoice=invoice, amount=Decimal("5.00"), state="unknown")
    settle = f"/admin/robokassa_payments/refund-settle/{refund.pk}/"
    viewer = Client()
    viewer.force_login(make_user("viewer", "view_invoice", "check_invoice"))
    assert viewer.post(settle, {"not_made": "1"}).url == "/admin/"
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user("refunder", "view_invoice", "refund_invoice"))
    assert strict.post(settle, {"not_made": "1"}).status_code == 403
    assert Refund.objects.get().state == RefundState.UNKNOWN
