"""Reconciliation racing ROBOKASSA's notification and other workers, on a real PostgreSQL: one
notification and one ``result_received`` per payment, whoever is first."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from tests.helpers import LOGIN, make_invoice, result_params
from wagtail_robokassa.contrib.emulator.models import EmulatedOperation
from wagtail_robokassa.models import Invoice, InvoiceStatus, SuccessNotification
from wagtail_robokassa.services.reconciliation import reconcile_invoice
from wagtail_robokassa.services.sweeps import sweep_due

ROUNDS = 15
CHECKERS = 4
DELIVERIES = 4

pytestmark = pytest.mark.postgres


def paid_invoice(age=timedelta(0)):
    invoice = make_invoice("990.00", is_test=True)
    Invoice.objects.filter(pk=invoice.pk).update(created_at=timezone.now() - age)
    EmulatedOperation.objects.create(
        merchant_login=LOGIN, inv_id=invoice.pk, out_sum=invoice.amount, state=100, op_key="k"
    )
    return Invoice.objects.get(pk=invoice.pk)


def together(*jobs):
    """Run the jobs at the same moment, each in a thread with its own connection."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        try:
            barrier.wait(timeout=30)
            return job()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def test_checks_and_notifications_at_once_record_one_payment(
    emulator, write_path, results_log, monkeypatch
):
    """ROBOKASSA's answers are fetched over HTTP first, so that the checks' writes and the
    notifications' writes really meet (otherwise the notifications always win)."""
    from wagtail_robokassa.gateway import status as status_client
    from wagtail_robokassa.services import reconciliation

    answers = {}
    monkeypatch.setattr(reconciliation, "check_status", lambda config, inv_id, **_: answers[inv_id])
    sources = set()
    for round_number in range(ROUNDS):
        invoice = paid_invoice()
        answers[invoice.pk] = status_client.check_status(emulator, invoice.pk, is_test=True)
        params = result_params(invoice.pk, "990.000000", is_test=True)

        def check(invoice=invoice, delay=round_number % 5 * 0.002):
            time.sleep(delay)  # from 0 to 8 ms: the notification wins some rounds
            return reconcile_invoice(Invoice.objects.get(pk=invoice.pk)).credited

        def deliver(params=params):
            return Client().post("/robokassa/result/", params).status_code

        outcomes = together(*[check] * CHECKERS, *[deliver] * DELIVERIES)

        assert outcomes[CHECKERS:] == [200] * DELIVERIES, round_number
        notification = SuccessNotification.objects.get(inv_id=invoice.pk)
        credited_by_check = sum(outcomes[:CHECKERS])
        assert credited_by_check == (notification.source == "status_check"), round_number
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID
        sources.add(notification.source)
    assert sources == {"status_check", "result_url"}  # each side won some rounds
    assert sorted(call["InvId"] for call in results_log.calls) == sorted(
        SuccessNotification.objects.values_list("inv_id", flat=True)
    )
    assert len(results_log.calls) == ROUNDS


def test_workers_sweeping_at_once_check_each_payment_once(emulator, results_log):
    invoices = [paid_invoice(age=timedelta(minutes=30)) for _ in range(12)]

    sweeps = together(*[sweep_due] * 4)

    assert sum(len(sweep.results) for sweep in sweeps) == len(invoices)
    assert sum(sweep.credited for sweep in sweeps) == len(invoices)
    assert SuccessNotification.objects.count() == len(invoices)
    assert len(results_log.calls) == len(invoices)
    assert set(Invoice.objects.values_list("checks", flat=True)) == {1}
