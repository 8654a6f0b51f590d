from decimal import Decimal

import pytest
from wagtail.models import Page, Site

from tests.helpers import forget_settings
from tests.testapp.models import ShopPage

ROBOKASSA_DJANGO_SETTINGS = (
    "ROBOKASSA_LOGIN",
    "ROBOKASSA_PASSWORD1",
    "ROBOKASSA_PASSWORD2",
    "ROBOKASSA_TEST_PASSWORD1",
    "ROBOKASSA_TEST_PASSWORD2",
)


@pytest.fixture
def admin_configured(settings):
    """No ROBOKASSA_* Django settings: everything comes from the Site's settings."""
    return forget_settings(settings, *ROBOKASSA_DJANGO_SETTINGS)


def payment_value(**overrides):
    value = {
        "description": "Годовая подписка",
        "amount": Decimal("990.00"),
        "buyer_chooses_amount": False,
        "min_amount": None,
        "max_amount": None,
        "button_label": "",
        "ask_email": False,
        "inc_curr_label": "",
        "receipt": {"name": "", "tax": "", "payment_method": "", "payment_object": ""},
        "thank_you_text": "",
    }
    value.update(overrides)
    return value


@pytest.fixture
def home(db):
    return Site.objects.get(is_default_site=True).root_page


def publish_shop_page(parent: Page, body: list, slug: str = "shop", title: str = "Shop"):
    page = parent.add_child(instance=ShopPage(title=title, slug=slug, body=body))
    page.save_revision().publish()
    page.refresh_from_db()
    return page


@pytest.fixture
def shop_page(home):
    return publish_shop_page(home, [("payment", payment_value())])


def block_ids(page):
    from wagtail_robokassa.page_blocks import payment_blocks

    return [block_id for block_id, _ in payment_blocks(page)]
