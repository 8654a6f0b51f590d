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
