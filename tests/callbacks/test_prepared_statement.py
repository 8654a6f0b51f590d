"""The one statement is prepared once per connection, by psycopg, with its values bound on the
server; a connection pooler that loses it costs at most one retried delivery, never a payment;
``ROBOKASSA_PREPARED_STATEMENTS = False`` turns it off. What is prepared is read from the
server (``pg_prepared_statements``), not from psycopg."""

import logging

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from tests.helpers import result_params
from wagtail_robokassa.models import SuccessNotification
from wagtail_robokassa.services import prepared

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]


@pytest.fixture(autouse=True)
def one_statement(settings, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 60)  # connections persist
    settings.ROBOKASSA_WRITE_PATH = "one_statement"
    settings.ROBOKASSA_TEST_MODE = False  # Django settings configure every callback field:
    settings.ROBOKASSA_HASH_ALGORITHM = "md5"  # the write is the only statement
    prepared.forget_lost()
    yield
    prepared.forget_lost()


def deliver(client, inv_id):
    return client.post("/robokassa/result/", result_params(inv_id))


def executions_of_prepared_writes():
    """For each statement this server connection has prepared (by protocol, not ``PREPARE``)
    that writes notifications, how many times it ran."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans + custom_plans FROM pg_prepared_statements "
            "WHERE NOT from_sql AND statement LIKE %s",
            ["%INSERT INTO%successnotification%"],
        )
        return [row[0] for row in cursor.fetchall()]


def test_the_statement_is_prepared_once_per_connection_and_logged_as_any_other(client):
    with CaptureQueriesContext(connection) as queries:
        for inv_id in (1, 2, 3):
            assert deliver(client, inv_id).content == f"OK{inv_id}".encode()
    assert [q["sql"].split(None, 1)[0] for q in queries] == ["WITH"] * 3
    assert executions_of_prepared_writes() == [3]
    assert SuccessNotification.objects.count() == 3


def test_django_cursors_still_do_not_prepare(client):
    """The statement is prepared through its own cursor: the connection's other statements are
    not (Django turns preparing off, for connection poolers)."""
    assert deliver(client, 1).content == b"OK1"
    for _ in range(10):
        SuccessNotification.objects.filter(inv_id=1).count()
    assert connection.connection.prepare_threshold is None
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE NOT from_sql")
        assert cursor.fetchone()[0] == 1


@pytest.mark.django_db(transaction=True)  # autocommit, as in production
def test_a_statement_lost_by_a_pooler_turns_preparing_off_and_loses_nothing(client, caplog):
    assert deliver(client, 1).content == b"OK1"
    # What a pooler's other server connection looks like: psycopg is not told.
    connection.connection.pgconn.exec_(b"DEALLOCATE ALL")
    with caplog.at_level(logging.WARNING, logger="wagtail_robokassa.prepared"):
        assert deliver(client, 2).content == b"OK2"
    assert "ROBOKASSA_PREPARED_STATEMENTS" in caplog.text
    assert deliver(client, 3).content == b"OK3"
    assert executions_of_prepared_writes() == []
    assert set(SuccessNotification.objects.values_list("inv_id", flat=True)) == {1, 2, 3}


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_a_lost_statement_is_retried_by_robokassa(client, receiver):
    receiver(lambda sender, **kwargs: None)  # deliveries now run in a transaction
    assert deliver(client, 1).content == b"OK1"
    connection.connection.pgconn.exec_(b"DEALLOCATE ALL")
    assert deliver(client, 2).status_code == 500  # the error aborted the transaction
    assert not SuccessNotification.objects.filter(inv_id=2).exists()
    assert deliver(client, 2).content == b"OK2"  # ROBOKASSA's retry, unprepared
    assert SuccessNotification.objects.get(inv_id=2).deliveries == 1


@pytest.mark.django_db(transaction=True)
def test_after_a_rollback_the_statement_is_prepared_again(client):
    """psycopg deallocates what it prepared when the connection rolls back (another request's
    transaction, on the same persistent connection): the next delivery prepares again."""
    assert deliver(client, 1).content == b"OK1"
    with transaction.atomic():
        SuccessNotification.objects.count()
        transaction.set_rollback(True)
    assert executions_of_prepared_writes() == []
    assert deliver(client, 2).content == b"OK2"
    assert deliver(client, 3).content == b"OK3"
    assert executions_of_prepared_writes() == [2]


def test_a_connection_per_request_is_not_worth_preparing(client, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    assert deliver(client, 1).content == b"OK1"
    assert executions_of_prepared_writes() == []


def test_preparing_can_be_turned_off(client, settings):
    settings.ROBOKASSA_PREPARED_STATEMENTS = False
    assert deliver(client, 1).content == b"OK1"
    assert deliver(client, 2).content == b"OK2"
    assert executions_of_prepared_writes() == []


def test_a_database_that_says_prepare_threshold_none_is_not_prepared_on(client, monkeypatch):
    options = {**connection.settings_dict.get("OPTIONS", {}), "prepare_threshold": None}
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    assert deliver(client, 1).content == b"OK1"
    assert executions_of_prepared_writes() == []
