"""Refunds asked for at the same moment, on a real PostgreSQL: the reservations never exceed what
was paid, and one click is one refund, whatever the interleaving."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.db import connection

from tests.helpers import make_invoice
from wagtail_robokassa.models import Invoice, InvoiceStatus, Refund
from wagtail_robokassa.services.refunds import RefundRefusedHere, request_refund

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 12
ROUNDS = 10


@pytest.fixture(autouse=True)
def refund_api(settings):
    settings.ROBOKASSA_PASSWORD3 = "refund-password-3"  # refunds are signed with it


def at_once(job):
    barrier = threading.Barrier(THREADS)

    def run(index):
        try:
            barrier.wait(timeout=30)
            return job(index)
        except RefundRefusedHere:
            return None
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, range(THREADS)))


def test_concurrent_refunds_never_exceed_the_payment():
    for _ in range(ROUNDS):
        invoice = make_invoice("1000.00", status=InvoiceStatus.PAID)
        # 12 times 150.00 asked for, 1000.00 paid: at most 6 can be reserved.
        made = at_once(lambda index, pk=invoice.pk: request_refund(
            Invoice.objects.get(pk=pk), Decimal("150.00")
        ))  # fmt: skip
        accepted = [refund for refund in made if refund is not None]
        invoice.refresh_from_db()
        assert len(accepted) == 6
        assert invoice.refund_reserved == Decimal("900.00")
        assert Refund.objects.filter(invoice=invoice).count() == 6


def test_one_click_sent_by_many_is_one_refund():
    invoice = make_invoice("1000.00", status=InvoiceStatus.PAID)
    key = uuid.uuid4()
    made = at_once(lambda index: request_refund(
        Invoice.objects.get(pk=invoice.pk), Decimal("100.00"), key=key
    ))  # fmt: skip
    assert {refund.pk for refund in made} == {Refund.objects.get().pk}
    invoice.refresh_from_db()
    assert invoice.refund_reserved == Decimal("100.00")
