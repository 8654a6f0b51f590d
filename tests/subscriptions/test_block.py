"""The payment block's subscription mode: what the editor is told, what the page says before the
first payment, and what the pay view refuses."""

from decimal import Decimal

import pytest
from wagtail.blocks.struct_block import StructBlockValidationError

from tests.subscriptions.conftest import PAY, page_token, subscription_value
from tests.wagtail.conftest import publish_shop_page
from wagtail_robokassa.blocks import PaymentButtonBlock
from wagtail_robokassa.models import Invoice, RobokassaSettings, Subscription

pytestmark = pytest.mark.django_db


def clean(value):
    block = PaymentButtonBlock()
    return block.clean(block.to_python(value))


def error_of(value):
    with pytest.raises(StructBlockValidationError) as raised:
        clean(value)
    return str(raised.value.block_errors["subscription"].message)


def test_the_editor_is_told_when_recurring_payments_are_off(settings):
    settings.ROBOKASSA_RECURRING_ENABLED = False
    assert "Recurring payments are off" in error_of(subscription_value())


def test_a_site_that_turned_them_on_is_enough(settings, default_site):
    del settings.ROBOKASSA_RECURRING_ENABLED
    RobokassaSettings.objects.update_or_create(
        site=default_site, defaults={"recurring_enabled": True}
    )
    assert clean(subscription_value())["subscription"]["enabled"]


@pytest.mark.parametrize(
    ("terms", "extra", "message"),
    [
        ({}, {"buyer_chooses_amount": True}, "fixed price"),
        ({"period": "days"}, {}, "days in a period"),
        ({"trial_days": 7}, {}, "first payment to remember the card"),
    ],
)
def test_what_a_subscription_block_cannot_be(settings, terms, extra, message):
    settings.ROBOKASSA_RECURRING_ENABLED = True
    value = subscription_value(**terms) | extra
    assert message in error_of(value)


def test_the_page_says_what_and_when(client, settings, home):
    settings.ROBOKASSA_RECURRING_ENABLED = True
    page = publish_shop_page(home, [("payment", subscription_value())], slug="club")
    html = client.get(page.url).content.decode()
    assert "990.00\xa0₽ today, then 990.00\xa0₽ every month. Cancel at any time" in html
    assert 'name="agree"' in html
    assert 'type="email"' in html
    assert "Subscribe" in html


def test_the_page_in_russian(client, settings, home):
    settings.ROBOKASSA_RECURRING_ENABLED = True
    value = subscription_value(period="days", period_days=10, max_payments=3)
    page = publish_shop_page(home, [("payment", value)], slug="club")
    html = client.get(page.url, HTTP_ACCEPT_LANGUAGE="ru").content.decode()
    assert "990,00\xa0₽ сегодня, затем 990,00\xa0₽ каждые 10 дней, всего 3 платежа" in html
    assert "Подписаться" in html


@pytest.mark.parametrize(
    "data",
    [{"email": "buyer@example.com"}, {"agree": "on"}, {"email": "nope", "agree": "on"}],
    ids=["no-consent", "no-email", "bad-email"],
)
def test_the_pay_view_needs_consent_and_an_e_mail(client, settings, home, data):
    settings.ROBOKASSA_RECURRING_ENABLED = True
    page = publish_shop_page(home, [("payment", subscription_value())], slug="club")
    response = client.post(PAY, {"token": page_token(client, page), **data})
    assert response.status_code == 400
    assert not Subscription.objects.exists()
    assert not Invoice.objects.exists()


def test_the_pay_view_takes_no_subscription_while_they_are_off(client, settings, home):
    settings.ROBOKASSA_RECURRING_ENABLED = True
    page = publish_shop_page(home, [("payment", subscription_value())], slug="club")
    token = page_token(client, page)
    settings.ROBOKASSA_RECURRING_ENABLED = False
    response = client.post(PAY, {"token": token, "email": "b@example.com", "agree": "on"})
    assert response.status_code == 503
    assert not Subscription.objects.exists()
    assert not Invoice.objects.exists()


def test_a_double_click_makes_two_pending_subscriptions_but_one_is_paid_at_most(
    client, settings, home
):
    settings.ROBOKASSA_RECURRING_ENABLED = True
    page = publish_shop_page(home, [("payment", subscription_value())], slug="club")
    token = page_token(client, page)
    for _ in range(2):
        data = {"token": token, "email": "b@example.com", "agree": "on"}
        assert client.post(PAY, data).status_code == 200
    # Each click is its own first payment; the one never paid ends by itself.
    assert Subscription.objects.count() == 2
    assert Invoice.objects.filter(amount=Decimal("990.00")).count() == 2


def test_purging_stale_invoices_keeps_a_subscriptions_history(client, settings, home):
    from datetime import timedelta

    from django.core.management import call_command
    from django.utils import timezone

    settings.ROBOKASSA_RECURRING_ENABLED = True
    page = publish_shop_page(home, [("payment", subscription_value())], slug="club")
    data = {"token": page_token(client, page), "email": "b@example.com", "agree": "on"}
    assert client.post(PAY, data).status_code == 200
    Invoice.objects.update(created_at=timezone.now() - timedelta(days=60))
    call_command("robokassa_purge_invoices", "--days", "30")
    assert Subscription.objects.get().parent_invoice is not None
