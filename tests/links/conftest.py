import pytest

from tests.callbacks.conftest import no_secrets_in_logs, pytest_generate_tests, write_path
from wagtail_robokassa.services.config import get_config

__all__ = ["link_service", "no_secrets_in_logs", "pytest_generate_tests", "write_path"]


@pytest.fixture
def link_service(settings, live_server, transactional_db, default_site):
    """ROBOKASSA's Invoice API, its link pages and the Result URL notifications, played by the
    emulator over HTTP on the live server; the shop in test mode."""
    settings.ROBOKASSA_EMULATOR_ENABLED = True
    settings.ROBOKASSA_TEST_MODE = True
    settings.ROBOKASSA_INVOICE_API_URL = live_server.url + "/emulator/InvoiceServiceWebApi/api"
    settings.ROBOKASSA_STATUS_URL = (
        live_server.url + "/emulator/Merchant/WebService/Service.asmx/OpStateExt"
    )
    settings.ROBOKASSA_EMULATOR_RESULT_URL = live_server.url + "/robokassa/result/"
    return get_config()
