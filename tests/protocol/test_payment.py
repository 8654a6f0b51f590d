from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from urllib.parse import parse_qsl, urlsplit

import pytest

from wagtail_robokassa.protocol import (
    PAYMENT_URL,
    Receipt,
    ReceiptError,
    ReceiptItem,
    encode_receipt,
    payment_page_url,
    payment_params,
    payment_signature,
    payment_url,
)

RECEIPT = Receipt(items=(ReceiptItem(name="Товар 1", sum=Decimal(100), tax="none"),), sno="osn")


def test_minimal_params_are_ordered_and_signed():
    params = payment_params("demo", Decimal(100), 12345, "password_1", description="Order 1")
    assert params == [
        ("MerchantLogin", "demo"),
        ("OutSum", "100.00"),
        ("InvId", "12345"),
        ("Description", "Order 1"),
        ("SignatureValue", "3d034693c02f0e1a04bc89f166b2c593"),
        ("Encoding", "utf-8"),
    ]


def test_all_optional_params_in_documented_order():
    params = payment_params(
        "demo",
        "100",
        12345,
        "password_1",
        description="Книга",
        is_test=True,
        culture="ru",
        email="buyer@example.com",
        inc_curr_label="BankCardPSR",
        expiration_date=datetime(2030, 1, 2, 3, 4, 5, 678, tzinfo=timezone(timedelta(hours=3))),
        out_sum_currency="USD",
        user_ip="127.0.0.1",
        receipt=RECEIPT,
        shp={"order": "25", "Shp_a": "x"},
        algorithm="sha256",
    )
    names = [name for name, _ in params]
    assert names == [
        "MerchantLogin",
        "OutSum",
        "InvId",
        "Description",
        "SignatureValue",
        "Encoding",
        "Culture",
        "Email",
        "IncCurrLabel",
        "ExpirationDate",
        "OutSumCurrency",
        "UserIp",
        "Receipt",
        "IsTest",
        "Shp_a",
        "Shp_order",
    ]
    values = dict(params)
    assert values["ExpirationDate"] == "2030-01-02T03:04:05+03:00"
    assert values["Receipt"] == encode_receipt(RECEIPT)
    assert values["IsTest"] == "1"
    assert values["SignatureValue"] == payment_signature(
        "demo",
        "100.00",
        12345,
        "password_1",
        out_sum_currency="USD",
        user_ip="127.0.0.1",
        receipt=RECEIPT,
        shp={"Shp_order": "25", "Shp_a": "x"},
        algorithm="sha256",
    )


def test_hold_and_redirect_overrides_are_sent_and_signed():
    params = dict(
        payment_params(
            "demo",
            100,
            1,
            "p1",
            step_by_step=True,
            result_url2="https://shop.example/r2",
            success_url2="https://shop.example/ok?a=1",
            success_url2_method="post",
            fail_url2="https://shop.example/fail",
            fail_url2_method="GET",
        )
    )
    assert params["StepByStep"] == "true"
    assert params["SuccessUrl2Method"] == "POST"
    assert params["SignatureValue"] == payment_signature(
        "demo",
        100,
        1,
        "p1",
        step_by_step=True,
        result_url2="https://shop.example/r2",
        success_url2="https://shop.example/ok?a=1",
        success_url2_method="POST",
        fail_url2="https://shop.example/fail",
        fail_url2_method="GET",
    )


def test_is_test_absent_in_live_mode_and_inv_id_optional():
    params = dict(payment_params("demo", 100, None, "password_1"))
    assert "IsTest" not in params
    assert "InvId" not in params
    assert params["SignatureValue"] == "f269c85a0fce9f4c3d68c30398dfdcd1"


def test_description_is_cut_to_100_characters():
    params = dict(payment_params("demo", 100, 1, "p", description="ж" * 150))
    assert params["Description"] == "ж" * 100


def test_receipt_must_add_up_to_out_sum():
    with pytest.raises(ReceiptError, match="add up"):
        payment_params("demo", Decimal("99.99"), 1, "p", receipt=RECEIPT)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"inv_id": 0}, ValueError, "between 1 and 2147483647"),
        ({"inv_id": 2**31}, ValueError, "between 1 and 2147483647"),
        ({"inv_id": "5"}, TypeError, "InvId must be an int"),
        ({"inv_id": True}, TypeError, "InvId must be an int"),
        ({"out_sum": 1.5}, ValueError, "float"),
        ({"merchant_login": ""}, ValueError, "MerchantLogin is required"),
        ({"password1": ""}, ValueError, "Password#1 is required"),
        ({"shp": {"Shp_Order": "1"}}, ValueError, "must be 'Shp_' followed"),
        ({"shp": {"shp_order": "1"}}, ValueError, "must be 'Shp_' followed"),
        ({"shp": {"order id": "1"}}, ValueError, "must be 'Shp_' followed"),
        ({"shp": {"order": "1", "Shp_order": "2"}}, ValueError, "given twice"),
        ({"shp": {"a": "1", "a1": "2"}}, ValueError, "sort differently"),
        ({"shp": {"a": 1}}, TypeError, "strings"),
        ({"success_url2": "https://x"}, ValueError, "GET or POST"),
        ({"fail_url2_method": "GET"}, ValueError, "without FailUrl2"),
        ({"expiration_date": datetime(2030, 1, 1)}, ValueError, "aware"),
    ],
)
def test_bad_arguments_are_refused(kwargs, error, message):
    arguments = {"merchant_login": "demo", "out_sum": 100, "inv_id": 1, "password1": "p"}
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        payment_params(**arguments)


def test_payment_url_double_encodes_the_receipt():
    params = payment_params("demo", 100, 12345, "password_1", receipt=RECEIPT, is_test=True)
    url = payment_url(PAYMENT_URL, params)
    assert url.startswith("https://auth.robokassa.ru/Merchant/Index.aspx?MerchantLogin=demo&")
    assert "Receipt=%257B%2522sno%2522%253A" in url
    assert dict(parse_qsl(urlsplit(url).query)) == dict(params)
    assert payment_url("http://127.0.0.1:8000/pay?x=1", [("a", "b c")]) == (
        "http://127.0.0.1:8000/pay?x=1&a=b+c"
    )


def test_kazakh_host():
    assert payment_page_url("auth.robokassa.kz") == "https://auth.robokassa.kz/Merchant/Index.aspx"


def test_expiration_date_in_utc():
    params = dict(
        payment_params("d", 1, 1, "p", expiration_date=datetime(2030, 5, 6, 7, 8, tzinfo=UTC))
    )
    assert params["ExpirationDate"] == "2030-05-06T07:08:00+00:00"
