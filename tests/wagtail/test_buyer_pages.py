"""The buyer's pages lead back where the buyer was: the Success and Fail pages link to the page
paid on (the Fail page also to its button, to try again); amounts keep their currency on the
same line; a buyer-chosen amount shows its allowed range."""

import pytest

from tests.helpers import make_invoice, result_params, success_params
from tests.wagtail.conftest import block_ids, payment_value, publish_shop_page

pytestmark = pytest.mark.django_db


def fail_params(inv_id):
    return {"OutSum": "100.00", "InvId": str(inv_id)}


def test_the_success_page_leads_back_to_the_page_paid_on(client, shop_page):
    invoice = make_invoice(page=shop_page, block_id=block_ids(shop_page)[0])
    assert client.post("/robokassa/result/", result_params(invoice.pk)).status_code == 200
    html = client.get("/robokassa/success/", success_params(invoice.pk)).content.decode()
    assert f'<a href="{shop_page.url}">Back to “Shop”</a>' in html
    assert "100.00\N{NO-BREAK SPACE}₽" in html  # the sign stays on the amount's line


def test_the_fail_page_offers_the_button_again(client, shop_page):
    block_id = block_ids(shop_page)[0]
    invoice = make_invoice(page=shop_page, block_id=block_id)
    html = client.get("/robokassa/fail/", fail_params(invoice.pk)).content.decode()
    assert f'href="{shop_page.url}#robokassa-pay-{block_id}">Try again</a>' in html
    russian = client.get(
        "/robokassa/fail/", fail_params(invoice.pk), HTTP_ACCEPT_LANGUAGE="ru"
    ).content.decode()
    assert "Попробовать ещё раз" in russian
    assert "Вернуться на страницу «Shop»" in russian


def test_without_a_published_page_the_way_back_is_the_site(client, shop_page):
    invoice = make_invoice(page=shop_page)
    shop_page.unpublish()
    html = client.get("/robokassa/fail/", fail_params(invoice.pk)).content.decode()
    assert '<a href="/">Back to the site</a>' in html
    assert "Try again" not in html
    unknown = client.get("/robokassa/fail/", fail_params(999_999)).content.decode()
    assert '<a href="/">Back to the site</a>' in unknown


def test_a_buyer_chosen_amount_shows_its_range(client, home):
    from decimal import Decimal

    value = payment_value(
        buyer_chooses_amount=True, min_amount=Decimal("100"), max_amount=Decimal("10000")
    )
    page = publish_shop_page(home, [("payment", value)], slug="donate")
    html = client.get(page.url).content.decode()
    block_id = block_ids(page)[0]
    assert f'aria-describedby="robokassa-range-{block_id}"' in html
    assert "From 100.00\N{NO-BREAK SPACE}₽ to 10,000.00\N{NO-BREAK SPACE}₽" in html
    open_ended = publish_shop_page(
        home, [("payment", payment_value(buyer_chooses_amount=True))], slug="open"
    )
    assert "At least 0.01\N{NO-BREAK SPACE}₽" in client.get(open_ended.url).content.decode()
