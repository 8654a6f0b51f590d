"""django-robokassa's README examples work as written, with only the import path changed."""

import re
from decimal import Decimal
from html import unescape

import pytest
from django.contrib.auth.models import User

from tests.helpers import LIVE_PASSWORD1, result_params
from tests.testapp.handlers import payment_received
from tests.testapp.models import Order
from wagtail_robokassa.protocol import payment_signature
from wagtail_robokassa.signals import result_received

pytestmark = pytest.mark.django_db


def hidden_inputs(html: str) -> dict[str, str]:
    inputs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    return {name: unescape(value) for name, value in inputs}


def test_form_in_a_view(client, settings):
    settings.ROBOKASSA_EXTRA_PARAMS = ["my_param"]
    user = User.objects.create_user("buyer", "buyer@example.com", "pw")
    order = Order.objects.create(name="Подписка на год", total=Decimal("1990.00"))
    client.force_login(user)
    html = client.get(f"/pay/{order.pk}/").content.decode()
    assert '<form action="https://auth.robokassa.ru/Merchant/Index.aspx" method="POST">' in html
    fields = hidden_inputs(html)
    assert fields["MerchantLogin"] == "demo"
    assert fields["OutSum"] == "1990.00"
    assert fields["InvId"] == str(order.pk)
    assert fields["Description"] == "Подписка на год"
    assert fields["Email"] == "buyer@example.com"
    assert fields["SignatureValue"] == payment_signature(
        "demo", fields["OutSum"], order.pk, LIVE_PASSWORD1
    )
    assert "csrfmiddlewaretoken" not in fields


def test_signal_handler_updates_the_order(client):
    order = Order.objects.create(name="Книга", total=Decimal("500.00"))
    result_received.connect(payment_received)
    try:
        response = client.post(
            "/robokassa/result/",
            result_params(order.pk, "500.000000", shp={"Shp_my_param": "gift"}),
        )
    finally:
        result_received.disconnect(payment_received)
    assert response.content == f"OK{order.pk}".encode()
    order.refresh_from_db()
    assert order.status == "paid"
    assert order.paid_sum == Decimal("500")
    assert order.extra_param == "gift"


def test_legacy_shp_prefix_without_underscore_is_understood(client):
    order = Order.objects.create(name="Книга", total=Decimal("5.00"))
    result_received.connect(payment_received)
    try:
        params = result_params(order.pk, "5.000000", shp={"shpmy_param": "x"})
        assert client.post("/robokassa/result/", params).status_code == 200
    finally:
        result_received.disconnect(payment_received)
    order.refresh_from_db()
    assert order.extra_param == "x"
