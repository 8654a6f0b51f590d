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
def portable_path(settings):
    """The path for databases without INSERT … ON CONFLICT … RETURNING (savepoint + lock)."""
    settings.ROBOKASSA_WRITE_PATH = "portable"


def pytest_generate_tests(metafunc):
    """``write_path``: every way of writing a payment that this database supports."""
    if "write_path" in metafunc.fixturenames:
        from django.db import connection

        from wagtail_robokassa.services.write_paths import WRITE_PATHS

        names = [name for name, path in WRITE_PATHS.items() if path.supports(connection)]
        metafunc.parametrize("write_path", names, indirect=True)


@pytest.fixture
def write_path(request, settings):
    """Selects a write path through its public seam, ``ROBOKASSA_WRITE_PATH``."""
    settings.ROBOKASSA_WRITE_PATH = request.param
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
