"""Exactly once under concurrency, on a real PostgreSQL: the database decides who is first."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

from tests.helpers import make_invoice, result_params
from wagtail_robokassa.models import Invoice, InvoiceStatus, SuccessNotification

ROUNDS = 20
THREADS = 10


def deliver_together(params: dict) -> list[tuple[int, bytes]]:
    barrier = threading.Barrier(THREADS)

    def deliver(_: int) -> tuple[int, bytes]:
        client = Client()
        try:
            barrier.wait(timeout=30)
            response = client.post("/robokassa/result/", params)
            return response.status_code, response.content
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(deliver, range(THREADS)))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("receivers", [True, False], ids=["with-receiver", "no-receiver"])
def test_concurrent_identical_deliveries_are_recorded_once(write_path, receivers):
    from wagtail_robokassa.signals import result_received

    signalled: list[int] = []

    def receiver(sender, **kwargs):
        signalled.append(kwargs["InvId"])

    if receivers:
        result_received.connect(receiver)
    try:
        for round_number in range(ROUNDS):
            deliver_round(round_number)
    finally:
        result_received.disconnect(receiver)
    assert SuccessNotification.objects.count() == ROUNDS
    assert Invoice.objects.filter(status=InvoiceStatus.PAID).count() == ROUNDS // 2
    if receivers:
        assert sorted(signalled) == sorted(
            SuccessNotification.objects.values_list("inv_id", flat=True)
        )


def deliver_round(round_number: int) -> None:
    with_invoice = round_number % 2 == 0
    inv_id = make_invoice("100.00").pk if with_invoice else 1_000_000 + round_number
    answers = deliver_together(result_params(inv_id))
    assert answers == [(200, f"OK{inv_id}".encode())] * THREADS, round_number
    notification = SuccessNotification.objects.get(inv_id=inv_id)
    assert notification.deliveries == THREADS
    if with_invoice:
        assert Invoice.objects.get(pk=inv_id).status == InvoiceStatus.PAID
        assert notification.invoice_id == inv_id
