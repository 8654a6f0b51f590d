import re
from decimal import Decimal
from html import unescape

import pytest

from tests.callbacks.conftest import no_secrets_in_logs, pytest_generate_tests, write_path
from tests.wagtail.conftest import home, payment_value, publish_shop_page
from wagtail_robokassa.services.config import get_config

__all__ = [
    "home",
    "no_secrets_in_logs",
    "pytest_generate_tests",
    "renewal_service",
    "write_path",
]
PAY = "/robokassa/pay/"


def subscription_value(**terms):
    """A payment block in subscription mode: 990 ₽ a month unless told otherwise."""
    subscription = {
        "enabled": True,
        "period": "month",
        "period_days": None,
        "first_amount": None,
        "trial_days": None,
        "max_payments": None,
    } | terms
    return payment_value(description="Клуб", amount=Decimal("990.00"), subscription=subscription)


@pytest.fixture
def renewal_service(settings, live_server, transactional_db, default_site):
    """ROBOKASSA's payment page, ``Merchant/Recurring``, the status interface and the Result URL
    notifications, played by the emulator over HTTP on the live server; the shop in test mode
    with recurring payments enabled."""
    settings.ROBOKASSA_EMULATOR_ENABLED = True
    settings.ROBOKASSA_TEST_MODE = True
    settings.ROBOKASSA_RECURRING_ENABLED = True
    settings.ROBOKASSA_RECURRING_URL = live_server.url + "/emulator/Merchant/Recurring"
    settings.ROBOKASSA_STATUS_URL = (
        live_server.url + "/emulator/Merchant/WebService/Service.asmx/OpStateExt"
    )
    settings.ROBOKASSA_EMULATOR_RESULT_URL = live_server.url + "/robokassa/result/"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return get_config()


@pytest.fixture
def subscription_page(renewal_service, home):
    return publish_shop_page(home, [("payment", subscription_value())], slug="club")


def page_token(client, page):
    html = client.get(page.url).content.decode()
    return re.findall(r'name="token" value="([^"]+)"', html)[0]


def hidden_fields(response):
    html = response.content.decode()
    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    return [(name, unescape(value)) for name, value in pairs]


def subscribe(client, page, email="buyer@example.com"):
    """The visitor's click: the signed form to ROBOKASSA."""
    response = client.post(PAY, {"token": page_token(client, page), "email": email, "agree": "on"})
    assert response.status_code == 200, response.content.decode()
    return hidden_fields(response)
