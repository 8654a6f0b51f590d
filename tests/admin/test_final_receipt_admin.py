""" "Send the final receipt" in the admin: the lines and the buyer, one receipt however often it
is clicked, the state and fiscal details on the payment, its own permission and CSRF."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from tests.admin.conftest import make_user
from tests.helpers import make_invoice
from tests.receipts.test_final_receipts import PREPAID, paid, switch
from wagtail_robokassa.contrib.emulator.models import EmulatedReceipt, ReceiptOutcome
from wagtail_robokassa.models import InvoiceStatus, SecondReceipt, SecondReceiptState


def receipt_url(invoice):
    return f"/admin/robokassa_payments/final-receipt/{invoice.pk}/"


def inspect_of(client, invoice):
    return client.get(f"/admin/robokassa_payments/inspect/{invoice.pk}/").content.decode()


def test_send_it_once_and_see_it_registered(fiscal_service, superuser_client):
    invoice = paid()
    assert receipt_url(invoice) in inspect_of(superuser_client, invoice)
    page = superuser_client.get(receipt_url(invoice)).content.decode()
    assert "Книга «Python»/2" in page
    assert "buyer@example.com" in page
    assert ">Send the final receipt</button>" in page
    assert not SecondReceipt.objects.exists()  # looking sends nothing

    done = superuser_client.post(receipt_url(invoice), follow=True)
    (message,) = [str(m) for m in get_messages(done.wsgi_request)]
    assert "ROBOKASSA took the final receipt" in message
    receipt = SecondReceipt.objects.get()
    assert (receipt.state, receipt.requested_by.username) == (SecondReceiptState.SENT, "root")
    html = done.content.decode()
    assert "Sent, awaiting registration" in html
    assert receipt_url(invoice) not in html  # no second button

    again = superuser_client.post(receipt_url(invoice))
    assert again.status_code == 200
    assert "already been sent" in again.content.decode()
    assert EmulatedReceipt.objects.count() == 1

    check = f"/admin/robokassa_payments/final-receipt-state/{receipt.pk}/"
    assert check in html
    checked = superuser_client.post(check, follow=True)
    (message,) = [str(m) for m in get_messages(checked.wsgi_request)]
    assert "The final receipt is registered: fiscal document No." in message
    html = inspect_of(superuser_client, invoice)
    assert check not in html
    assert "Registered" in html
    assert f"No. {SecondReceipt.objects.get().document_number}" in html


def test_a_refused_receipt_offers_the_button_again(fiscal_service, superuser_client):
    invoice = paid()
    switch(ReceiptOutcome.REFUSED)
    done = superuser_client.post(receipt_url(invoice), follow=True)
    (message,) = [str(m) for m in get_messages(done.wsgi_request)]
    assert "The final receipt was not sent: ROBOKASSA refused the receipt (1)" in message
    assert receipt_url(invoice) in done.content.decode()
    switch(ReceiptOutcome.REGISTERED)
    superuser_client.post(receipt_url(invoice))
    assert SecondReceipt.objects.get().state == SecondReceiptState.SENT
    assert EmulatedReceipt.objects.count() == 1


@pytest.mark.django_db
def test_no_button_where_no_final_receipt_is_due(superuser_client, settings):
    settings.ROBOKASSA_FISCAL_URL = "http://127.0.0.1:9/RoboFiscal"
    full = make_invoice(status=InvoiceStatus.PAID, email="b@example.com", receipt=None)
    assert receipt_url(full) not in inspect_of(superuser_client, full)
    html = superuser_client.get(receipt_url(full)).content.decode()
    assert "not a prepayment" in html
    assert superuser_client.post(receipt_url(full)).status_code == 200
    assert not SecondReceipt.objects.exists()


@pytest.mark.django_db
def test_it_needs_its_own_permission(client, settings):
    settings.ROBOKASSA_FISCAL_URL = "http://127.0.0.1:9/RoboFiscal"
    invoice = make_invoice(status=InvoiceStatus.PAID, email="b@example.com", receipt=PREPAID)
    client.force_login(make_user("viewer", "view_invoice", "refund_invoice"))
    assert receipt_url(invoice) not in inspect_of(client, invoice)
    refused = client.post(receipt_url(invoice))
    assert refused.status_code == 403
    assert not SecondReceipt.objects.exists()


@pytest.mark.django_db
def test_it_needs_a_csrf_token(settings):
    settings.ROBOKASSA_FISCAL_URL = "http://127.0.0.1:9/RoboFiscal"
    invoice = make_invoice(status=InvoiceStatus.PAID, email="b@example.com", receipt=PREPAID)
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("sender", "view_invoice", "send_final_receipt_invoice"))
    assert receipt_url(invoice) in inspect_of(client, invoice)
    assert client.post(receipt_url(invoice)).status_code == 403
    assert not SecondReceipt.objects.exists()


@pytest.mark.django_db
def test_an_unknown_payment_is_404(superuser_client):
    for pk in (999999, 99999999999):
        assert (
            superuser_client.get(f"/admin/robokassa_payments/final-receipt/{pk}/").status_code
            == 404
        )


@pytest.mark.django_db
def test_the_actions_can_be_given_to_a_group(superuser_client):
    html = superuser_client.get("/admin/groups/new/").content.decode()
    for label in (
        "Can check a payment&#x27;s status at ROBOKASSA",
        "Can refund payments",
        "Can send a payment&#x27;s final receipt",
    ):
        assert label in html


@pytest.mark.django_db
def test_checking_now_needs_the_permission_and_a_post(client, superuser_client):
    invoice = make_invoice(status=InvoiceStatus.PAID, email="b@example.com", receipt=PREPAID)
    receipt = SecondReceipt.objects.create(
        invoice=invoice, total=invoice.amount, state=SecondReceiptState.SENT
    )
    check = f"/admin/robokassa_payments/final-receipt-state/{receipt.pk}/"
    assert superuser_client.get(check).status_code == 405
    client.force_login(make_user("viewer", "view_invoice"))
    assert client.post(check).url == "/admin/"
    assert SecondReceipt.objects.get().polls == 0


def test_an_unknown_receipt_is_sent_again_from_the_payments_page(fiscal_service, superuser_client):
    invoice = paid()
    switch(ReceiptOutcome.HTTP_500)
    superuser_client.post(receipt_url(invoice))
    receipt = SecondReceipt.objects.get()
    assert receipt.state == SecondReceiptState.UNKNOWN
    again = f"/admin/robokassa_payments/final-receipt-again/{receipt.pk}/"
    html = inspect_of(superuser_client, invoice)
    assert again in html
    assert f"/admin/robokassa_payments/final-receipt-state/{receipt.pk}/" in html
    assert superuser_client.get(again).status_code == 405
    switch(ReceiptOutcome.REGISTERED)
    done = superuser_client.post(again, follow=True)
    assert "ROBOKASSA took the final receipt" in str(list(get_messages(done.wsgi_request))[-1])
    assert SecondReceipt.objects.get().state == SecondReceiptState.SENT
    assert EmulatedReceipt.objects.count() == 1
    refused = superuser_client.post(again, follow=True)
    assert "outcome is unknown" in str(list(get_messages(refused.wsgi_request))[-1])


@pytest.mark.django_db
def test_sending_again_needs_the_permission_and_a_csrf_token():
    invoice = make_invoice(status=InvoiceStatus.PAID, email="b@example.com", receipt=PREPAID)
    receipt = SecondReceipt.objects.create(
        invoice=invoice, total=invoice.amount, state=SecondReceiptState.UNKNOWN
    )
    again = f"/admin/robokassa_payments/final-receipt-again/{receipt.pk}/"
    viewer = Client()
    viewer.force_login(make_user("viewer", "view_invoice", "refund_invoice"))
    assert viewer.post(again).url == "/admin/"
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user("sender", "view_invoice", "send_final_receipt_invoice"))
    assert strict.post(again).status_code == 403
    assert SecondReceipt.objects.get().state == SecondReceiptState.UNKNOWN
