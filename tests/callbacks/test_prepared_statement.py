"""The one statement is prepared once per connection; a connection pooler that loses it costs at
most one retried delivery, never a payment; ``ROBOKASSA_PREPARED_STATEMENTS = False`` turns it
off."""

import logging

import pytest
from django.db import connection
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


def statements(queries):
    """The statements' verbs, without the savepoint a test's own transaction puts around PREPARE."""
    verbs = [q["sql"].split(None, 1)[0].upper() for q in queries]
    return [verb for verb in verbs if verb not in ("SAVEPOINT", "RELEASE", "ROLLBACK")]


def test_the_statement_is_prepared_once_per_connection(client):
    with CaptureQueriesContext(connection) as first:
        assert deliver(client, 1).content == b"OK1"
    with CaptureQueriesContext(connection) as second:
        assert deliver(client, 2).content == b"OK2"
    assert statements(first) in (["PREPARE", "EXECUTE"], ["EXECUTE"])
    assert statements(second) == ["EXECUTE"]


@pytest.mark.django_db(transaction=True)  # autocommit, as in production
def test_a_statement_lost_by_a_pooler_turns_preparing_off_and_loses_nothing(client, caplog):
    assert deliver(client, 1).content == b"OK1"
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")  # what a pooler's other server connection looks like
    with caplog.at_level(logging.WARNING, logger="wagtail_robokassa.prepared"):
        assert deliver(client, 2).content == b"OK2"
    assert "ROBOKASSA_PREPARED_STATEMENTS" in caplog.text
    with CaptureQueriesContext(connection) as queries:
        assert deliver(client, 3).content == b"OK3"
    assert "EXECUTE" not in statements(queries)
    assert set(SuccessNotification.objects.values_list("inv_id", flat=True)) == {1, 2, 3}


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_a_lost_statement_is_retried_by_robokassa(client, receiver):
    receiver(lambda sender, **kwargs: None)  # deliveries now run in a transaction
    assert deliver(client, 1).content == b"OK1"
    with connection.cursor() as cursor:
        cursor.execute("DEALLOCATE ALL")
    assert deliver(client, 2).status_code == 500  # the error aborted the transaction
    assert not SuccessNotification.objects.filter(inv_id=2).exists()
    assert deliver(client, 2).content == b"OK2"  # ROBOKASSA's retry, unprepared
    assert SuccessNotification.objects.get(inv_id=2).deliveries == 1


def test_a_connection_per_request_is_not_worth_preparing(client, monkeypatch):
    monkeypatch.setitem(connection.settings_dict, "CONN_MAX_AGE", 0)
    with CaptureQueriesContext(connection) as queries:
        assert deliver(client, 1).content == b"OK1"
    assert statements(queries) == ["WITH"]


def test_a_pooled_connection_met_again_is_not_prepared_again(client):
    """Django's pool hands out connections it had before: a PREPARE there would fail."""
    assert deliver(client, 1).content == b"OK1"
    raw = connection.connection
    prepared._prepared.pop(raw)  # as if the pool had given us another connection meanwhile...
    prepared._prepared[raw] = set()  # ...that does not know the statement: it is prepared
    with CaptureQueriesContext(connection) as queries:
        assert deliver(client, 2).content == b"OK2"
    assert statements(queries) == ["PREPARE", "EXECUTE"]
    with CaptureQueriesContext(connection) as queries:
        assert deliver(client, 3).content == b"OK3"
    assert statements(queries) == ["EXECUTE"]


def test_preparing_can_be_turned_off(client, settings):
    settings.ROBOKASSA_PREPARED_STATEMENTS = False
    with CaptureQueriesContext(connection) as queries:
        assert deliver(client, 1).content == b"OK1"
        assert deliver(client, 2).content == b"OK2"
    assert statements(queries) == ["WITH", "WITH"]
