"""What keeps refunds within what was paid, on every database (SQLite and PostgreSQL): the
invoice's check constraint refuses any write beyond it, and the conditional reservation refuses
a refund asked for from a stale view of the payment, as a second request at the same moment
would have."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from tests.helpers import make_invoice
from wagtail_robokassa.models import Invoice, InvoiceStatus, Refund
from wagtail_robokassa.services.refunds import RefundRefusedHere, request_refund

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def refund_api(settings):
    settings.ROBOKASSA_REFUND_URL = "http://127.0.0.1:9/RefundService"  # never reached here
    settings.ROBOKASSA_PASSWORD3 = "refund-password-3"


@pytest.mark.parametrize(
    "values",
    [
        {"refund_reserved": Decimal("1000.01")},
        {"refund_reserved": Decimal("-0.01")},
        {"refund_reserved": Decimal("10.00"), "refunded": Decimal("10.01")},
        {"refunded": Decimal("-1.00")},
    ],
)
def test_the_database_refuses_amounts_beyond_the_payment(values):
    invoice = make_invoice("1000.00", status=InvoiceStatus.PAID)
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.filter(pk=invoice.pk).update(**values)
    invoice.refresh_from_db()
    assert (invoice.refund_reserved, invoice.refunded) == (0, 0)


def test_a_refund_asked_from_a_stale_view_is_refused():
    invoice = make_invoice("1000.00", status=InvoiceStatus.PAID, is_test=True)
    first_view = Invoice.objects.get(pk=invoice.pk)
    second_view = Invoice.objects.get(pk=invoice.pk)  # both see 1000.00 left
    request_refund(first_view, Decimal("600.00"))
    with pytest.raises(RefundRefusedHere, match=r"at most 400\.00"):  # read again, not trusted
        request_refund(second_view, Decimal("600.00"))
    invoice.refresh_from_db()
    assert invoice.refund_reserved == Decimal("600.00")
    assert Refund.objects.count() == 1
    assert request_refund(second_view, Decimal("400.00")).amount == Decimal("400.00")
    invoice.refresh_from_db()
    assert invoice.refund_reserved == invoice.amount
