"""The final receipt asked for at the same moment by many (a double-clicked button, a task and
a person), on a real PostgreSQL and against the emulator over HTTP: one row, one request."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.receipts.test_final_receipts import paid
from wagtail_robokassa.contrib.emulator.models import EmulatedReceipt
from wagtail_robokassa.models import Invoice, SecondReceipt, SecondReceiptState
from wagtail_robokassa.services.final_receipts import request_final_receipt, send_final_receipt

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 12
ROUNDS = 3


def test_asked_at_once_it_is_sent_once(fiscal_service):
    for _ in range(ROUNDS):
        invoice = paid()
        barrier = threading.Barrier(THREADS)

        def ask(index, pk=invoice.pk, barrier=barrier):
            try:
                barrier.wait(timeout=30)
                return send_final_receipt(request_final_receipt(Invoice.objects.get(pk=pk)))
            finally:
                connection.close()

        with ThreadPoolExecutor(max_workers=THREADS) as pool:
            receipts = list(pool.map(ask, range(THREADS)))
        assert {receipt.pk for receipt in receipts} == {
            SecondReceipt.objects.get(invoice=invoice).pk
        }
        assert EmulatedReceipt.objects.filter(operation__inv_id=invoice.pk).count() == 1
        assert SecondReceipt.objects.get(invoice=invoice).state == SecondReceiptState.SENT
