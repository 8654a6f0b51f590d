"""ResultUrl2 under concurrency on a real PostgreSQL: the same notification delivered by several
threads at once is recorded once, sent once, and answered OK every time; a HOLD and an OK of one
payment meeting leave it paid."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.helpers import make_invoice
from tests.holds.conftest import URL, token
from tests.status.test_reconcile_concurrency import together
from wagtail_robokassa.models import InvoiceStatus, StateNotification, SuccessNotification

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
THREADS = 8


def deliver(body):
    def job():
        response = Client().generic("POST", URL, body, content_type="application/json")
        return response.status_code, response.content

    return job


@pytest.mark.parametrize("state", ["HOLD", "OK"])
def test_one_notification_at_once_from_many_threads_is_recorded_once(held_log, results_log, state):
    invoice = make_invoice("100.00")
    answers = together(*[deliver(token(invoice, state))] * THREADS)
    assert answers == [(200, f"OK{invoice.pk}".encode())] * THREADS
    notification = StateNotification.objects.get()
    assert notification.deliveries == THREADS
    invoice.refresh_from_db()
    if state == "HOLD":
        assert invoice.status == InvoiceStatus.HELD
        assert len(held_log) == 1
    else:
        assert invoice.status == InvoiceStatus.PAID
        assert SuccessNotification.objects.count() == 1
        assert len(results_log.calls) == 1


def test_a_hold_and_the_payment_meeting_leave_it_paid(held_log):
    from datetime import timedelta

    from django.utils import timezone

    invoice = make_invoice("100.00")
    now = timezone.now()
    hold = token(invoice, "HOLD", sent_at=now - timedelta(minutes=5))
    paid = token(invoice, "OK", sent_at=now)
    answers = together(deliver(hold), deliver(paid))
    assert [status for status, _body in answers] == [200, 200]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert StateNotification.objects.count() == 2
