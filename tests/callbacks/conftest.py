import logging

import pytest

from tests.helpers import SECRETS


@pytest.fixture(autouse=True)
def no_secrets_in_logs(caplog):
    """Every callback test runs with DEBUG logging; no record may carry a password."""
    caplog.set_level(logging.DEBUG)
    yield
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        for secret in SECRETS:
            assert secret not in text, f"a password leaked into the log: {record.name}"


@pytest.fixture
def portable_path(monkeypatch):
    """The path for databases without INSERT … ON CONFLICT … RETURNING (savepoint + lock)."""
    from wagtail_robokassa.services import recording

    monkeypatch.setattr(recording, "one_statement", lambda: False)
    monkeypatch.setattr(recording, "_upsert", lambda: False)


@pytest.fixture(params=["native", "portable"])
def write_path(request):
    """Each way of writing a payment: this database's own, and the portable one."""
    if request.param == "portable":
        request.getfixturevalue("portable_path")
    return request.param


@pytest.fixture
def receiver():
    """Connect a ``result_received`` receiver for one test."""
    from wagtail_robokassa.signals import result_received

    connected = []

    def connect(function):
        result_received.connect(function, weak=False)
        connected.append(function)
        return function

    yield connect
    for function in connected:
        result_received.disconnect(function)
