"""The invariant: ``OK{InvId}`` only when a committed notification exists afterwards.

These run outside any test transaction (``transaction=True``), as the Result URL runs in
production, so that ``atomic()`` really commits or really rolls back.
"""

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client

from tests.helpers import make_invoice, result_params, second_connection
from tests.testapp.models import Order
from wagtail_robokassa.models import InvoiceStatus, RejectedRequest, SuccessNotification

pytestmark = pytest.mark.django_db(transaction=True)
URL = "/robokassa/result/"


def committed(inv_id: int) -> bool:
    """Whether the payment's notification is committed (seen from a second connection)."""
    table = SuccessNotification._meta.db_table
    with second_connection() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table} WHERE inv_id = %s", [inv_id])  # noqa: S608
        return cursor.fetchone()[0] == 1


def assert_retried_and_nothing_recorded(response, invoice):
    assert response.status_code == 500
    assert not response.content.startswith(b"OK")
    assert not committed(invoice.pk)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    rejection = RejectedRequest.objects.get()
    assert (rejection.reason, rejection.inv_id) == ("handler_error", invoice.pk)


def test_a_receiver_that_swallows_an_integrity_error(receiver, write_path):
    Order.objects.create(id=1, name="existing", total=1)

    @receiver
    def create_order(sender, **kwargs):
        try:  # noqa: SIM105 - written the way many shops write it
            Order.objects.create(id=1, name="again", total=1)  # the pk is taken
        except IntegrityError:
            pass  # the transaction can no longer commit

    invoice = make_invoice()
    response = Client().post(URL, result_params(invoice.pk))
    assert_retried_and_nothing_recorded(response, invoice)


def test_a_receiver_that_raises(receiver, write_path):
    @receiver
    def broken(sender, **kwargs):
        Order.objects.create(id=7, name="written, then rolled back", total=1)
        raise RuntimeError("the shop's own bug")

    invoice = make_invoice()
    assert_retried_and_nothing_recorded(Client().post(URL, result_params(invoice.pk)), invoice)
    assert not Order.objects.filter(id=7).exists()
    assert RejectedRequest.objects.get().detail == "RuntimeError"


def test_a_receiver_that_marks_the_transaction_for_rollback(receiver, write_path):
    receiver(lambda sender, **kwargs: transaction.set_rollback(True))
    invoice = make_invoice()
    assert_retried_and_nothing_recorded(Client().post(URL, result_params(invoice.pk)), invoice)
    detail = RejectedRequest.objects.get().detail
    assert detail == "a result_received receiver left the transaction marked for rollback"


def test_a_receiver_that_closes_the_connection(receiver, write_path):
    receiver(lambda sender, **kwargs: connection.close())
    invoice = make_invoice()
    response = Client().post(URL, result_params(invoice.pk))
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        # Django never closes an in-memory database: the transaction goes on and commits.
        assert response.content == f"OK{invoice.pk}".encode()
        assert committed(invoice.pk)
    else:
        assert_retried_and_nothing_recorded(response, invoice)


def test_a_receiver_that_catches_a_raw_database_error(receiver, write_path):
    """On PostgreSQL the transaction is aborted and cannot commit; SQLite keeps it usable, and
    then the payment is committed. Either way, OK only with the committed row."""

    @receiver
    def broken_sql(sender, **kwargs):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT * FROM no_such_table")
        except Exception:  # noqa: S110 - the receiver hides its own error
            pass

    invoice = make_invoice()
    response = Client().post(URL, result_params(invoice.pk))
    if connection.vendor == "postgresql":
        assert_retried_and_nothing_recorded(response, invoice)
    else:
        assert response.content == f"OK{invoice.pk}".encode()
        assert committed(invoice.pk)


def test_the_next_delivery_succeeds_once_the_receiver_is_fixed(receiver, write_path):
    broken = {"on": True}

    @receiver
    def sometimes_broken(sender, **kwargs):
        if broken["on"]:
            transaction.set_rollback(True)

    invoice = make_invoice()
    params = result_params(invoice.pk)
    assert Client().post(URL, params).status_code == 500
    broken["on"] = False
    assert Client().post(URL, params).content == f"OK{invoice.pk}".encode()
    assert committed(invoice.pk)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID


def test_a_database_that_fails_while_refusing_gives_a_retry(monkeypatch):
    """A refusal that cannot be recorded is not final: 500, so ROBOKASSA asks again."""
    from django.db import DatabaseError

    from wagtail_robokassa.services import caps

    def fail(*args, **kwargs):
        raise DatabaseError("disk full")

    monkeypatch.setattr(caps.StorageCap, "allows", fail)
    response = Client().post(URL, result_params(5, password="wrong"))
    assert response.status_code == 500
    assert RejectedRequest.objects.count() == 0
