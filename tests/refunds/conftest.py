import pytest

from tests.callbacks.conftest import no_secrets_in_logs

__all__ = ["no_secrets_in_logs"]

PASSWORD3 = "refund-password-3"


@pytest.fixture
def refund_service(emulator, settings, live_server):
    """ROBOKASSA's Refund API and status interface, played by the emulator over HTTP."""
    settings.ROBOKASSA_PASSWORD3 = PASSWORD3
    settings.ROBOKASSA_REFUND_URL = live_server.url + "/emulator/RefundService"
    return emulator
