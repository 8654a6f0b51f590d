"""The Invoice API's tokens and payloads, byte for byte against the vendor's own tests
(protocol reference §12.5), and the defensive reading of its answers."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from wagtail_robokassa.protocol import (
    Receipt,
    ReceiptItem,
    invoice_api_token,
    verify_invoice_api_token,
)
from wagtail_robokassa.protocol.errors import ReceiptError
from wagtail_robokassa.protocol.invoice_api import (
    InvoiceState,
    InvoiceType,
    algorithm_for_alg,
    create_payload,
    deactivate_payload,
    error_message,
    invoice_items,
    link_url_is_trusted,
    list_payload,
    parse_created,
    parse_listed,
)
from wagtail_robokassa.protocol.jwt import _token
from wagtail_robokassa.protocol.phpjson import b64url

VENDOR_PAYLOAD = create_payload(
    "login", inv_id=1, out_sum=Decimal(1), description="test"
)  # sdk-php ExamplesTest::testSendJwtBuildsCurrentJwtAndHeaders


def test_the_vendor_body_byte_for_byte():
    token = invoice_api_token(VENDOR_PAYLOAD, "login", "p1", "md5")
    assert json.dumps(token) == (
        '"eyJhbGciOiJNRDUiLCJ0eXAiOiJKV1QifQ.'
        "eyJNZXJjaGFudExvZ2luIjoibG9naW4iLCJJbnZvaWNlVHlwZSI6Ik9uZVRpbWUiLCJDdWx0dXJlIjoicnUiLCJJ"
        'bnZJZCI6MSwiT3V0U3VtIjoxLCJEZXNjcmlwdGlvbiI6InRlc3QifQ.FKHP-6TuMui4tsnqUvjumw"'
    )


@pytest.mark.parametrize(
    ("alg", "algorithm", "signature"),
    [
        ("MD5", "md5", "FKHP-6TuMui4tsnqUvjumw"),
        ("HS256", "sha256", "70g5-m2Wn74QKMS-ylzu6LTE02DFYtLA_nVYWiWCUII"),
        ("SHA256", "sha256", "s-KghE5J_S3XHNEmX_rvxcAoFHF9fbGLx8r7E0bni3Y"),
        ("SHA1", "sha1", "ax2bJ67dx44XZnNiDo9pb3AkVUw"),
    ],
)
def test_every_alg_name_of_the_reference(alg, algorithm, signature):
    import hashlib

    token = _token(
        {"alg": alg, "typ": "JWT"}, VENDOR_PAYLOAD, "login:p1", getattr(hashlib, algorithm)
    )
    assert token.rsplit(".", 1)[1] == signature
    assert verify_invoice_api_token(token, "login", "p1") == {**VENDOR_PAYLOAD, "OutSum": 1}


def test_hs512_vector_starts_and_ends_as_the_reference_says():
    import hashlib

    token = _token({"alg": "HS512", "typ": "JWT"}, VENDOR_PAYLOAD, "login:p1", hashlib.sha512)
    signature = token.rsplit(".", 1)[1]
    assert signature.startswith("II5CrFAX")
    assert signature.endswith("ttTVw")


@pytest.mark.parametrize(
    ("algorithm", "alg"),
    [
        ("md5", "MD5"),
        ("sha1", "SHA1"),
        ("sha256", "SHA256"),
        ("sha384", "SHA384"),
        ("sha512", "SHA512"),
    ],
)
def test_the_shops_algorithm_signs_and_verifies(algorithm, alg):
    token = invoice_api_token(VENDOR_PAYLOAD, "login", "p1", algorithm)
    header = json.loads(__import__("base64").urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": alg, "typ": "JWT"}
    assert list(header) == ["alg", "typ"]
    assert verify_invoice_api_token(token, "login", "p1")["InvId"] == 1
    assert algorithm_for_alg(alg.lower()) == algorithm


def test_saved_card_vector_shows_additional_parameters_are_signed_as_sent():
    payload = {
        **create_payload(
            "login", inv_id=300001, out_sum=Decimal(100), description="Saved card payment"
        ),
        "AdditionalParameters": {
            "Email": "customer@example.com",
            "ResultURL2": "https://example.test/result",
            "Token": "E1253728-48A9-488D-A045-9954C442AF5C-qNavrXC6Y4",
        },
    }
    assert invoice_api_token(payload, "login", "p1").endswith(".d0YiKfYe3IwO1X9y7ZPJoQ")


def test_deactivate_and_list_vectors():
    deactivate = deactivate_payload("login", inv_id=1)
    assert invoice_api_token(deactivate, "login", "p1").endswith(".V7lPOfyqIqPwgv1T2Q7yzw")
    listing = list_payload(
        "login",
        date_from=date(2024, 1, 1),
        date_to=date(2024, 1, 2),
        states=[InvoiceState.PAID],
        types=[InvoiceType.ONE_TIME],
        page_size=1,
    )
    assert invoice_api_token(listing, "login", "p1").endswith(".WaYWvxEjZZ_HzoPYBtsOZA")


def test_deactivate_prefers_the_encoded_id_and_needs_a_name():
    assert deactivate_payload("l", encoded_id="abc", invoice_id="x", inv_id=3) == {
        "MerchantLogin": "l",
        "EncodedId": "abc",
    }
    assert deactivate_payload("l", invoice_id="x") == {"MerchantLogin": "l", "Id": "x"}
    with pytest.raises(ValueError, match="which link"):
        deactivate_payload("l")


def test_a_tampered_body_is_refused():
    token = invoice_api_token(VENDOR_PAYLOAD, "login", "p1")
    header, _payload, signature = token.split(".")
    forged = b64url(json.dumps({**VENDOR_PAYLOAD, "OutSum": 1000}, default=str).encode())
    with pytest.raises(ValueError, match="signature"):
        verify_invoice_api_token(f"{header}.{forged}.{signature}", "login", "p1")
    with pytest.raises(ValueError, match="signature"):
        verify_invoice_api_token(token, "login", "p2")


@pytest.mark.parametrize(
    "token",
    [
        "",
        "a.b",
        "a.b.c.d",
        "!!!.e30.e30",
        "e30.e30.",
        "bnVsbA.e30.",
        b64url(b'{"alg":"none"}') + ".e30.",
    ],
)
def test_malformed_tokens_are_value_errors(token):
    with pytest.raises(ValueError):  # noqa: PT011 - each has its own message
        verify_invoice_api_token(token, "login", "p1")


def test_create_payload_order_and_test_mode():
    receipt = Receipt(
        items=(
            ReceiptItem(
                name="Консультация",
                sum=Decimal("1500.00"),
                tax="none",
                quantity=Decimal(3),
                payment_method="full_payment",
                payment_object="service",
            ),
        )
    )
    payload = create_payload(
        "shop",
        inv_id=7,
        out_sum=Decimal("1500.00"),
        invoice_type=InvoiceType.REUSABLE,
        description="Счёт",
        items=invoice_items(receipt),
        user_fields={"Shp_payment_link": "abc"},
        is_test=True,
    )
    assert list(payload) == [
        "MerchantLogin",
        "InvoiceType",
        "Culture",
        "InvId",
        "OutSum",
        "Description",
        "InvoiceItems",
        "UserFields",
        "AdditionalParameters",
    ]
    assert payload["InvoiceItems"] == [
        {
            "Name": "Консультация",
            "Quantity": Decimal(3),
            "Cost": Decimal("500.00"),
            "Tax": "none",
            "PaymentMethod": "full_payment",
            "PaymentObject": "service",
        }
    ]
    token = invoice_api_token(payload, "shop", "pw")
    body = __import__("base64").urlsafe_b64decode(token.split(".")[1] + "==").decode()
    assert '"Cost":500,' in body
    assert '"OutSum":1500,' in body
    assert "Консультация" in body
    assert payload["AdditionalParameters"] == {"IsTest": "1"}


@pytest.mark.parametrize("out_sum", [Decimal(0), Decimal(-1), Decimal("NaN"), 100, 1.5])
def test_create_payload_refuses_what_is_not_an_amount(out_sum):
    with pytest.raises(ValueError, match="OutSum"):
        create_payload("shop", inv_id=1, out_sum=out_sum)


@pytest.mark.parametrize("inv_id", [0, 2**31, True, "1"])
def test_create_payload_refuses_bad_inv_ids(inv_id):
    with pytest.raises(ValueError, match="InvId"):
        create_payload("shop", inv_id=inv_id, out_sum=Decimal(1))


def test_a_line_without_a_price_in_kopecks_is_refused():
    receipt = Receipt(
        items=(ReceiptItem(name="x", sum=Decimal("100.00"), tax="none", quantity=Decimal(3)),)
    )
    with pytest.raises(ReceiptError, match="kopecks"):
        invoice_items(receipt)


def test_parse_created_reads_what_it_can():
    link = parse_created(
        {
            "isSuccess": True,
            "url": "https://auth.robokassa.ru/merchant/Invoice/AbC_1",
            "id": "g",
            "invId": 5,
        }
    )
    assert link is not None
    assert (link.url, link.invoice_id, link.encoded_id, link.inv_id) == (
        "https://auth.robokassa.ru/merchant/Invoice/AbC_1",
        "g",
        "AbC_1",
        5,
    )
    assert parse_created({"URL": "https://x/Invoice/Q", "EncodedId": "Q", "InvId": "9"}).inv_id == 9
    assert parse_created({"isSuccess": False, "url": "https://x"}) is None
    assert parse_created({"isSuccess": True}) is None
    assert parse_created({"url": ["https://x"]}) is None
    assert parse_created({"url": "https://x/Invoice/a b", "invId": True}).encoded_id == ""


def test_error_message():
    assert (
        error_message({"isSuccess": False, "errorMessage": " Неверная подпись "})
        == "Неверная подпись"
    )
    assert error_message({"errors": ["a", "b"]}) == "a; b"
    assert error_message({"message": "x" * 1000}) == "x" * 300
    assert error_message({}) == ""


def test_parse_listed_finds_rows_under_any_known_name():
    rows = [{"InvId": 3, "Status": "paid", "OutSum": "10.50", "EncodedId": "e"}, "junk"]
    for answer in (rows, {"items": rows}, {"Data": {"Items": rows}}):
        listed = parse_listed(answer)
        assert listed is not None
        assert len(listed) == 1
        assert listed[0].inv_id == 3
        assert listed[0].state is InvoiceState.PAID
        assert listed[0].out_sum == Decimal("10.50")
    odd = parse_listed([{"invId": 2**40, "status": "Weird", "sum": "NaN"}])[0]
    assert (odd.inv_id, odd.state, odd.out_sum) == (None, None, None)
    assert parse_listed({"nothing": 1}) is None
    assert parse_listed("text") is None


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://auth.robokassa.ru/merchant/Invoice/x", True),
        ("https://AUTH.robokassa.ru/merchant/Invoice/x", True),
        ("https://evil.example/merchant/Invoice/x", False),
        ("https://auth.robokassa.ru@evil.example/x", False),
        ("javascript:alert(1)", False),
        ("https://auth.robokassa.ru/x\ny", False),
        ("https://user:pw@auth.robokassa.ru/x", False),
        ("https://[::1/x", False),
    ],
)
def test_only_links_to_robokassa_are_trusted(url, trusted):
    assert link_url_is_trusted(url, ["auth.robokassa.ru"]) is trusted
