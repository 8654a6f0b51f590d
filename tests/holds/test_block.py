"""The payment block's hold: what the editor is told, what the page says, and what the pay view
signs (``StepByStep=true`` and the ResultUrl2 address)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from wagtail.blocks.struct_block import StructBlockValidationError

from tests.subscriptions.conftest import PAY, hidden_fields, page_token, subscription_value
from tests.wagtail.conftest import home, publish_shop_page
from wagtail_robokassa.blocks import PaymentButtonBlock
from wagtail_robokassa.models import Invoice
from wagtail_robokassa.protocol import payment_signature

pytestmark = pytest.mark.django_db
__all__ = ["home"]


def hold_value(**more):
    return {"description": "Прокат", "amount": Decimal("1500.00"), "hold": True, **more}


def clean(value):
    block = PaymentButtonBlock()
    return block.clean(block.to_python(value))


def hold_error(value):
    with pytest.raises(StructBlockValidationError) as raised:
        clean(value)
    return str(raised.value.block_errors["hold"].message)


def test_the_editor_is_told_when_holds_are_off(settings):
    settings.ROBOKASSA_HOLDS_ENABLED = False
    assert "Holds are off" in hold_error(hold_value())


def test_a_hold_is_no_subscription(settings):
    settings.ROBOKASSA_HOLDS_ENABLED = True
    settings.ROBOKASSA_RECURRING_ENABLED = True
    value = subscription_value() | {"hold": True}
    assert "does not hold a subscription" in hold_error(value)


def test_the_page_tells_the_buyer_and_the_pay_view_signs_the_hold(client, settings, home):
    settings.ROBOKASSA_HOLDS_ENABLED = True
    settings.ROBOKASSA_TEST_MODE = True
    page = publish_shop_page(home, [("payment", hold_value())], slug="rental")
    html = client.get(page.url).content.decode()
    assert "reserved on your card now" in html
    response = client.post(PAY, {"token": page_token(client, page)})
    assert response.status_code == 200
    fields = dict(hidden_fields(response))
    assert fields["StepByStep"] == "true"
    assert fields["ResultUrl2"] == "http://testserver/robokassa/result2/"
    invoice = Invoice.objects.get()
    assert invoice.hold
    expected = payment_signature(
        settings.ROBOKASSA_LOGIN,
        Decimal("1500.00"),
        invoice.pk,
        settings.ROBOKASSA_TEST_PASSWORD1,
        receipt=fields.get("Receipt"),
        step_by_step=True,
        result_url2="http://testserver/robokassa/result2/",
    )
    assert fields["SignatureValue"] == expected


def test_the_pay_view_refuses_a_hold_while_holds_are_off(client, settings, home):
    settings.ROBOKASSA_HOLDS_ENABLED = True
    page = publish_shop_page(home, [("payment", hold_value())], slug="rental")
    token = page_token(client, page)
    settings.ROBOKASSA_HOLDS_ENABLED = False
    assert client.post(PAY, {"token": token}).status_code == 503
    assert not Invoice.objects.exists()


def test_result_url2_with_every_payment_when_asked(client, settings, home):
    settings.ROBOKASSA_TEST_MODE = True
    value = {"description": "Книга", "amount": Decimal("500.00")}
    page = publish_shop_page(home, [("payment", value)], slug="book")
    fields = dict(hidden_fields(client.post(PAY, {"token": page_token(client, page)})))
    assert "ResultUrl2" not in fields
    assert "StepByStep" not in fields
    settings.ROBOKASSA_SEND_RESULT_URL2 = True
    fields = dict(hidden_fields(client.post(PAY, {"token": page_token(client, page)})))
    assert fields["ResultUrl2"] == "http://testserver/robokassa/result2/"
    assert "StepByStep" not in fields


def test_start_payment_needs_the_address_of_a_hold():
    from wagtail_robokassa.services import start_payment
    from wagtail_robokassa.services.config import get_config

    with pytest.raises(ValueError, match="ResultUrl2"):
        start_payment(get_config(), amount=Decimal("1"), description="x", hold=True)
    with pytest.raises(ValueError, match="subscription"):
        start_payment(
            get_config(),
            amount=Decimal("1"),
            description="x",
            hold=True,
            recurring=True,
            result_url2="https://shop.example/robokassa/result2/",
        )
    assert not Invoice.objects.exists()
