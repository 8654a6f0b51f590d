"""Block → invoice → signed form → Result URL → paid → success page, through the test client."""

import re
from decimal import Decimal
from html import unescape

import pytest
from django.core import signing
from wagtail.models import Site

from tests.helpers import LIVE_PASSWORD1, result_params, success_params
from tests.wagtail.conftest import block_ids, payment_value, publish_shop_page
from wagtail_robokassa.models import Invoice, InvoiceStatus, RobokassaSettings
from wagtail_robokassa.protocol import decode_receipt, payment_signature, sign
from wagtail_robokassa.tokens import TOKEN_SALT, make_token

pytestmark = pytest.mark.django_db
PAY = "/robokassa/pay/"


def page_token(client, page, index=0):
    html = client.get(page.url).content.decode()
    return re.findall(r'name="token" value="([^"]+)"', html)[index]


def hidden_fields(response):
    html = response.content.decode()
    pairs = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html)
    return [(name, unescape(value)) for name, value in pairs]


def test_thank_you_text_on_the_success_page(client, home):
    page = publish_shop_page(home, [("payment", payment_value(thank_you_text="Ждём вас!"))])
    client.post(PAY, {"token": page_token(client, page)})
    invoice = Invoice.objects.get()
    client.post("/robokassa/result/", result_params(invoice.pk, "990.000000"))
    success = client.get("/robokassa/success/", success_params(invoice.pk, "990.000000"))
    assert "Ждём вас!" in success.content.decode()


def test_the_whole_payment(client, shop_page, results_log):
    token = page_token(client, shop_page)
    response = client.post(PAY, {"token": token, "amount": "1.00"})  # amount ignored: fixed price
    assert response.status_code == 200
    assert 'action="https://auth.robokassa.ru/Merchant/Index.aspx"' in response.content.decode()
    fields = dict(hidden_fields(response))
    invoice = Invoice.objects.get()
    assert (invoice.amount, invoice.status, invoice.is_test) == (
        Decimal("990.00"),
        "pending",
        False,
    )
    assert invoice.page_id == shop_page.pk
    assert invoice.block_id == block_ids(shop_page)[0]
    assert invoice.site == shop_page.get_site()
    assert fields["InvId"] == str(invoice.pk)
    assert fields["OutSum"] == "990.00"
    assert fields["Description"] == "Годовая подписка"
    assert fields["SignatureValue"] == payment_signature(
        "demo", fields["OutSum"], invoice.pk, LIVE_PASSWORD1
    )
    assert "IsTest" not in fields
    assert (
        client.post("/robokassa/result/", result_params(invoice.pk, "990.000000")).status_code
        == 200
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert results_log.last["invoice"] == invoice
    success = client.get("/robokassa/success/", success_params(invoice.pk, "990.000000"))
    assert success.status_code == 200
    assert "Годовая подписка" in success.content.decode()


def test_buyer_chosen_amount_and_email(client, home):
    page = publish_shop_page(
        home,
        [("payment", payment_value(buyer_chooses_amount=True, amount=None, ask_email=True,
                                   min_amount=Decimal("100"), max_amount=Decimal("5000")))],
    )  # fmt: skip
    token = page_token(client, page)
    response = client.post(PAY, {"token": token, "amount": "250.50", "email": "buyer@example.com"})
    assert response.status_code == 200
    invoice = Invoice.objects.get()
    assert (invoice.amount, invoice.email) == (Decimal("250.50"), "buyer@example.com")
    assert dict(hidden_fields(response))["Email"] == "buyer@example.com"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "50", "email": "a@b.ru"}, "greater than or equal to 100"),
        ({"amount": "9000", "email": "a@b.ru"}, "less than or equal to 5000"),
        ({"amount": "abc", "email": "a@b.ru"}, "Enter a number"),
        ({"amount": "100.001", "email": "a@b.ru"}, "2 decimal places"),
        ({"amount": "", "email": "a@b.ru"}, "required"),
        ({"amount": "200", "email": "not-an-email"}, "valid email"),
        ({"amount": "200"}, "required"),
    ],
)
def test_bad_buyer_input_gets_a_clear_error_and_no_invoice(client, home, data, message):
    page = publish_shop_page(
        home,
        [("payment", payment_value(buyer_chooses_amount=True, amount=None, ask_email=True,
                                   min_amount=Decimal("100"), max_amount=Decimal("5000")))],
    )  # fmt: skip
    response = client.post(PAY, {"token": page_token(client, page), **data})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert page.url in response.content.decode()  # a way back
    assert Invoice.objects.count() == 0


def test_receipt_is_sent_when_the_settings_say_so(client, shop_page, settings):
    settings.ROBOKASSA_SEND_RECEIPTS = True
    settings.ROBOKASSA_RECEIPT_SNO = "usn_income"
    settings.ROBOKASSA_RECEIPT_TAX = "vat20"
    response = client.post(PAY, {"token": page_token(client, shop_page)})
    fields = dict(hidden_fields(response))
    receipt = decode_receipt(fields["Receipt"])
    assert receipt.total == Decimal("990.00")
    assert receipt.sno == "usn_income"
    assert receipt.items[0].tax == "vat20"
    assert receipt.items[0].name == "Годовая подписка"
    assert Invoice.objects.get().receipt["items"][0]["sum"] == "990.00"
    assert fields["SignatureValue"] == payment_signature(
        "demo", "990.00", Invoice.objects.get().pk, LIVE_PASSWORD1, receipt=fields["Receipt"]
    )


def test_test_mode_sends_is_test_and_signs_with_the_test_password(client, shop_page, settings):
    from tests.helpers import TEST_PASSWORD1

    settings.ROBOKASSA_TEST_MODE = True
    fields = dict(hidden_fields(client.post(PAY, {"token": page_token(client, shop_page)})))
    invoice = Invoice.objects.get()
    assert invoice.is_test
    assert fields["IsTest"] == "1"
    assert fields["SignatureValue"] == payment_signature(
        "demo", "990.00", invoice.pk, TEST_PASSWORD1
    )


def test_get_redirect_when_preferred_and_no_receipt(client, shop_page, settings):
    settings.ROBOKASSA_PAY_METHOD = "GET"
    response = client.post(PAY, {"token": page_token(client, shop_page)})
    assert response.status_code == 302
    assert response["Location"].startswith("https://auth.robokassa.ru/Merchant/Index.aspx?")


def test_forged_token_is_refused(client, shop_page):
    forged = signing.TimestampSigner(salt="another").sign_object({"p": shop_page.pk, "b": "x"})
    for token in ("", "garbage", forged):
        assert client.post(PAY, {"token": token}).status_code == 400
    assert Invoice.objects.count() == 0


def test_expired_token_is_refused(client, shop_page, settings):
    settings.ROBOKASSA_PAY_TOKEN_MAX_AGE = -1
    response = client.post(PAY, {"token": page_token(client, shop_page)})
    assert response.status_code == 400
    assert "out of date" in response.content.decode()
    assert Invoice.objects.count() == 0


def test_token_for_another_page_or_block_is_refused(client, shop_page, home):
    other = publish_shop_page(home, [("heading", "Нет оплаты")], slug="other")
    signer = signing.TimestampSigner(salt=TOKEN_SALT)
    wrong_page = signer.sign_object({"p": other.pk, "b": block_ids(shop_page)[0]})
    wrong_block = make_token(shop_page, "00000000-0000-0000-0000-000000000000")
    for token in (wrong_page, wrong_block):
        assert client.post(PAY, {"token": token}).status_code == 404
    assert Invoice.objects.count() == 0


def test_unpublished_or_deleted_page_is_404(client, shop_page):
    token = page_token(client, shop_page)
    shop_page.unpublish()
    assert client.post(PAY, {"token": token}).status_code == 404
    shop_page.delete()
    assert client.post(PAY, {"token": token}).status_code == 404
    assert Invoice.objects.count() == 0


def test_block_removed_from_the_live_page_is_404(client, shop_page):
    token = page_token(client, shop_page)
    shop_page.body = [("heading", "Продано")]
    shop_page.save_revision().publish()
    assert client.post(PAY, {"token": token}).status_code == 404


def test_edited_price_is_the_live_price(client, shop_page):
    token = page_token(client, shop_page)
    (block_id,) = block_ids(shop_page)
    raw = shop_page.body.raw_data
    raw[0]["value"]["amount"] = "1200.00"
    shop_page.body = raw
    shop_page.save_revision().publish()
    assert block_ids(shop_page) == [block_id]
    assert client.post(PAY, {"token": token}).status_code == 200
    assert Invoice.objects.get().amount == Decimal("1200.00")


def test_get_is_not_allowed(client):
    assert client.get(PAY).status_code == 405


def test_rate_limit_per_client(client, shop_page, settings):
    settings.ROBOKASSA_PAY_RATE_LIMIT = (3, 60)
    token = page_token(client, shop_page)
    statuses = [client.post(PAY, {"token": token}).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert Invoice.objects.count() == 3
    other_client = {"REMOTE_ADDR": "10.0.0.2"}
    assert client.post(PAY, {"token": token}, **other_client).status_code == 200


def test_rate_limit_groups_an_ipv6_64(client, shop_page, settings):
    settings.ROBOKASSA_PAY_RATE_LIMIT = (3, 60)
    token = page_token(client, shop_page)
    statuses = [
        client.post(PAY, {"token": token}, REMOTE_ADDR=f"2001:db8:5:6::{host:x}").status_code
        for host in range(1, 101)
    ]
    assert statuses.count(200) == 3
    assert Invoice.objects.count() == 3
    other_network = {"REMOTE_ADDR": "2001:db8:5:7::1"}
    assert client.post(PAY, {"token": token}, **other_network).status_code == 200


def test_rate_limit_behind_a_reverse_proxy_is_per_buyer(client, shop_page, settings):
    settings.ROBOKASSA_PAY_RATE_LIMIT = (3, 60)
    settings.ROBOKASSA_TRUSTED_PROXIES = ["127.0.0.1"]
    token = page_token(client, shop_page)
    for buyer in range(1, 11):  # ten buyers, one proxy: nobody is locked out
        via_proxy = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": f"198.51.100.{buyer}"}
        assert client.post(PAY, {"token": token}, **via_proxy).status_code == 200
    same_buyer = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    statuses = [client.post(PAY, {"token": token}, **same_buyer).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_unconfigured_site_gets_a_clear_503(client, shop_page, admin_configured):
    response = client.post(PAY, {"token": page_token(client, shop_page)})
    assert response.status_code == 503
    assert Invoice.objects.count() == 0


def test_two_sites_each_pay_their_own_merchant(client, home, admin_configured):
    from wagtail.models import Page

    first_site = Site.objects.get(is_default_site=True)
    second_root = Page.get_first_root_node().add_child(
        instance=Page(title="Second", slug="second-home")
    )
    second_site = Site.objects.create(hostname="second.test", root_page=second_root)
    for site, login in ((first_site, "first-shop"), (second_site, "second-shop")):
        RobokassaSettings.objects.create(
            site=site, login=login, password1=f"{login}-p1", password2=f"{login}-p2"
        )
    first = publish_shop_page(home, [("payment", payment_value())], slug="first")
    second = publish_shop_page(second_root, [("payment", payment_value())], slug="second")

    def pay(page, host):
        html = client.get(page.url, HTTP_HOST=host).content.decode()
        token = re.findall(r'name="token" value="([^"]+)"', html)[0]
        return dict(hidden_fields(client.post(PAY, {"token": token}, HTTP_HOST=host)))

    first_fields = pay(first, "localhost")
    second_fields = pay(second, "second.test")
    assert first_fields["MerchantLogin"] == "first-shop"
    assert second_fields["MerchantLogin"] == "second-shop"
    second_invoice = Invoice.objects.get(pk=second_fields["InvId"])
    assert second_fields["SignatureValue"] == payment_signature(
        "second-shop", "990.00", second_invoice.pk, "second-shop-p1"
    )
    assert second_invoice.merchant_login == "second-shop"

    def result(inv_id, password):
        signature = sign(["990.000000", str(inv_id), password])
        body = {"OutSum": "990.000000", "InvId": str(inv_id), "SignatureValue": signature}
        return client.post("/robokassa/result/", body, HTTP_HOST="localhost")

    # Signed with the other site's password: refused, whatever host the request came to.
    assert result(second_invoice.pk, "first-shop-p2").status_code == 400
    assert result(second_invoice.pk, "second-shop-p2").content == f"OK{second_invoice.pk}".encode()
    second_invoice.refresh_from_db()
    assert second_invoice.status == InvoiceStatus.PAID
    assert second_invoice.notifications.get().merchant_login == "second-shop"
