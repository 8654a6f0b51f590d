"""Creating and publishing a page with a payment block through the real Wagtail admin."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from wagtail.test.utils.form_data import nested_form_data, streamfield

from tests.testapp.models import ShopPage
from tests.wagtail.conftest import block_ids

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client):
    user = get_user_model().objects.create_superuser("editor", "editor@example.com", "pw")
    client.force_login(user)
    return client


def block_form(**overrides):
    value = {
        "description": "Консультация",
        "amount": "1500.00",
        "min_amount": "",
        "max_amount": "",
        "button_label": "Записаться",
        "inc_curr_label": "",
        "receipt": {"name": "", "tax": "", "payment_method": "", "payment_object": ""},
        "thank_you_text": "",
    }
    value.update(overrides)
    return value


def add_page(admin, home, block_value):
    url = reverse("wagtailadmin_pages:add", args=("testapp", "shoppage", home.pk))
    data = nested_form_data(
        {
            "title": "Консультации",
            "slug": "consult",
            "body": streamfield([("payment", block_value)]),
            "action-publish": "publish",
        }
    )
    return admin.post(url, data)


def test_editor_adds_and_publishes_a_payment_block(admin, home, client):
    response = add_page(admin, home, block_form())
    assert response.status_code == 302, response.content.decode()[:2000]
    page = ShopPage.objects.get(slug="consult")
    assert page.live
    (block,) = page.body
    assert block.block_type == "payment"
    assert block.value["amount"] == Decimal("1500.00")
    assert block_ids(page) == [block.id]
    html = client.get(page.url).content.decode()
    assert "Записаться" in html
    assert 'name="token"' in html


def test_validation_errors_are_shown_on_the_block(admin, home):
    response = add_page(admin, home, block_form(amount=""))
    assert response.status_code == 200
    assert "Enter the price." in response.content.decode()
    assert not ShopPage.objects.filter(slug="consult").exists()


def test_min_above_max_is_shown(admin, home):
    response = add_page(
        admin, home, block_form(buyer_chooses_amount="on", min_amount="500", max_amount="100")
    )
    assert response.status_code == 200
    assert "The maximum must not be below the minimum." in response.content.decode()


def test_the_block_is_offered_in_the_editor(admin, home):
    url = reverse("wagtailadmin_pages:add", args=("testapp", "shoppage", home.pk))
    html = admin.get(url).content.decode()
    assert "Payment button" in html
