"""Every action on a payment is a POST that needs a CSRF token, even from a user who holds
every permission: a page elsewhere cannot make the admin refund or send anything."""

from decimal import Decimal

import pytest
from django.test import Client

from tests.admin.conftest import make_user
from tests.helpers import make_invoice
from wagtail_robokassa.models import InvoiceStatus, Refund, SecondReceipt

PERMISSIONS = ("view_invoice", "check_invoice", "refund_invoice", "send_final_receipt_invoice")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "check/{invoice}/",
        "refund/{invoice}/",
        "refund-state/{refund}/",
        "refund-settle/{refund}/",
        "final-receipt/{invoice}/",
        "final-receipt-state/{receipt}/",
        "final-receipt-again/{receipt}/",
    ],
)
def test_every_action_needs_a_csrf_token(settings, path):
    settings.ROBOKASSA_REFUND_URL = "http://127.0.0.1:9/RefundService"
    settings.ROBOKASSA_FISCAL_URL = "http://127.0.0.1:9/RoboFiscal"
    settings.ROBOKASSA_STATUS_URL = "http://127.0.0.1:9/OpStateExt"
    invoice = make_invoice(status=InvoiceStatus.PAID, email="b@example.com")
    refund = Refund.objects.create(invoice=invoice, amount=Decimal("1.00"), state="unknown")
    receipt = SecondReceipt.objects.create(invoice=invoice, total=invoice.amount, state="unknown")
    client = Client(enforce_csrf_checks=True)
    client.force_login(make_user("staff", *PERMISSIONS))
    url = "/admin/robokassa_payments/" + path.format(
        invoice=invoice.pk, refund=refund.pk, receipt=receipt.pk
    )
    response = client.post(url, {"amount": "1.00", "confirm": "1", "not_made": "1"})
    assert response.status_code == 403
    assert Refund.objects.get().state == "unknown"
    assert SecondReceipt.objects.get().state == "unknown"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["refund-state", "refund-settle", "final-receipt-state", "final-receipt-again"]
)
@pytest.mark.parametrize("pk", ["999999", "99999999999999999999", "9223372036854775808"])
def test_a_record_that_cannot_exist_is_404(superuser_client, path, pk):
    response = superuser_client.post(f"/admin/robokassa_payments/{path}/{pk}/")
    assert response.status_code == 404
