"""Fault injection: the database fails under a delivery. Never ``OK`` without the row; the
next delivery, once the fault is gone, records the payment."""

import pytest
from django.db import connection, connections
from django.test import Client

from tests.callbacks.test_result_url_receivers import committed
from tests.helpers import make_invoice, result_params, second_connection
from wagtail_robokassa.models import InvoiceStatus, RejectedRequest
from wagtail_robokassa.signals import result_received

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/robokassa/result/"


def terminate(backend_pid: int) -> None:
    """End a PostgreSQL backend from another connection, as a restart or a DBA would."""
    with second_connection() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [backend_pid])


def assert_retried_then_recorded(response, invoice):
    assert response.status_code == 500
    assert not response.content.startswith(b"OK")
    assert not committed(invoice.pk)
    response = Client().post(URL, result_params(invoice.pk))
    assert response.content == f"OK{invoice.pk}".encode()
    assert committed(invoice.pk)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


@pytest.mark.postgres
def test_backend_terminated_inside_a_receiver(receiver):
    @receiver
    def kill_my_backend(sender, **kwargs):
        terminate(connection.connection.info.backend_pid)

    invoice = make_invoice()
    response = Client().post(URL, result_params(invoice.pk))
    result_received.disconnect(kill_my_backend)  # the fault is gone
    assert RejectedRequest.objects.get().reason == "handler_error"  # stored after reconnecting
    assert_retried_then_recorded(response, invoice)


@pytest.mark.postgres
@pytest.mark.parametrize("receivers", [False, True], ids=["no-receiver", "receiver"])
def test_backend_terminated_before_the_write(monkeypatch, receiver, receivers):
    from wagtail_robokassa.services import recording

    if receivers:
        receiver(lambda sender, **kwargs: None)
    real = recording.record_payment
    fault = {"on": True}

    def write_on_a_dead_connection(*args, **kwargs):
        if fault["on"]:
            fault["on"] = False
            terminate(connection.connection.info.backend_pid)
        return real(*args, **kwargs)

    monkeypatch.setattr(recording, "record_payment", write_on_a_dead_connection)
    invoice = make_invoice()
    assert_retried_then_recorded(Client().post(URL, result_params(invoice.pk)), invoice)


def test_a_locked_sqlite_database():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's own locking")
    invoice = make_invoice()
    locker = connections.create_connection("default")
    cursor = locker.cursor()
    cursor.execute("BEGIN IMMEDIATE")
    cursor.execute("UPDATE wagtail_robokassa_invoice SET description = 'locked'")
    try:
        response = Client().post(URL, result_params(invoice.pk))
    finally:
        cursor.execute("ROLLBACK")
        locker.close()
    assert_retried_then_recorded(response, invoice)
