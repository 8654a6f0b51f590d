"""Recurring payments, byte for byte against the vendor's SDK (protocol reference §11.7,
§12.1.3): the parent's ``Recurring=true`` and the child charge's signature, body and answer."""

from __future__ import annotations

from decimal import Decimal

import pytest

from wagtail_robokassa.protocol import Receipt, ReceiptItem, payment_params, sign
from wagtail_robokassa.protocol.recurring import (
    accepted_inv_id,
    php_default_json,
    php_urlencode,
    recurring_body,
    recurring_params,
    recurring_receipt_text,
    recurring_signature,
    recurring_url,
)

#: The receipt of §11.6, in the key order ROBOKASSA's documentation shows.
RECEIPT = Receipt(
    items=(
        ReceiptItem(
            name="Товар",
            quantity=Decimal(1),
            sum=Decimal(100),
            payment_method="full_payment",
            payment_object="commodity",
            tax="none",
        ),
    )
)
#: ``R`` of §11.6: sdk-php's form value, ``urlencode(json_encode(receipt))``.
R = (
    "%7B%22items%22%3A%5B%7B%22name%22%3A%22%5Cu0422%5Cu043e%5Cu0432%5Cu0430%5Cu0440%22%2C"
    "%22quantity%22%3A1%2C%22sum%22%3A100%2C%22payment_method%22%3A%22full_payment%22%2C"
    "%22payment_object%22%3A%22commodity%22%2C%22tax%22%3A%22none%22%7D%5D%7D"
)


@pytest.mark.parametrize(
    ("receipt", "algorithm", "expected"),
    [
        (None, "md5", "2c1f41f2a3552a878b87df832c0fdfd0"),
        (None, "sha256", "0ea72ff2ea4e916385f2ac2cc63f71b789045f60bca69b3bfdf1e2eb86ef9a47"),
        (RECEIPT, "md5", "78b447d8b654fe01a9885bdf89b5dd3e"),
        (RECEIPT, "sha256", "522f88564dfaab9da87e3e1b02e291965ecab33b8411b77387a0020e0a27c6d3"),
    ],
)
def test_child_signature_vectors(receipt, algorithm, expected):
    signature = recurring_signature(
        "demo", Decimal("100.00"), 2, "password_1", receipt=receipt, algorithm=algorithm
    )
    assert signature == expected


def test_child_body_without_receipt_byte_for_byte():
    params = recurring_params("demo", Decimal("100.00"), 2, 1, "password_1")
    assert recurring_body(params) == (
        "OutSum=100.00&InvoiceID=2&PreviousInvoiceID=1&MerchantLogin=demo"
        "&SignatureValue=2c1f41f2a3552a878b87df832c0fdfd0"
    )


def test_child_body_with_receipt_byte_for_byte():
    assert recurring_receipt_text(RECEIPT) == R
    params = recurring_params("demo", Decimal("100.00"), 2, 1, "password_1", receipt=RECEIPT)
    assert recurring_body(params) == (
        "OutSum=100.00&InvoiceID=2&PreviousInvoiceID=1&Receipt=%257B%2522items%2522%253A%255B"
        "%257B%2522name%2522%253A%2522%255Cu0422%255Cu043e%255Cu0432%255Cu0430%255Cu0440%2522"
        "%252C%2522quantity%2522%253A1%252C%2522sum%2522%253A100%252C%2522payment_method%2522"
        "%253A%2522full_payment%2522%252C%2522payment_object%2522%253A%2522commodity%2522%252C"
        "%2522tax%2522%253A%2522none%2522%257D%255D%257D&MerchantLogin=demo"
        "&SignatureValue=78b447d8b654fe01a9885bdf89b5dd3e"
    )


def test_previous_invoice_is_sent_but_not_signed():
    one = recurring_params("demo", Decimal("100.00"), 2, 1, "password_1")
    other = recurring_params("demo", Decimal("100.00"), 2, 7, "password_1")
    assert dict(one)["SignatureValue"] == dict(other)["SignatureValue"]
    assert dict(other)["PreviousInvoiceID"] == "7"


def test_only_the_allowed_fields_are_sent():
    params = recurring_params("demo", Decimal("5"), 3, 1, "p1", description="Месяц", receipt=None)
    assert [name for name, _ in params] == [
        "OutSum",
        "InvoiceID",
        "PreviousInvoiceID",
        "Description",
        "MerchantLogin",
        "SignatureValue",
    ]


@pytest.mark.parametrize("out_sum", [Decimal(0), Decimal("-1"), "1,00", "1e2", Decimal("NaN")])
def test_bad_amounts_are_refused(out_sum):
    with pytest.raises(ValueError, match=r"OutSum|amount|0"):
        recurring_params("demo", out_sum, 2, 1, "p1")


@pytest.mark.parametrize(("inv_id", "previous"), [(0, 1), (2, 0), (2, 2), (2**31, 1)])
def test_bad_invoice_numbers_are_refused(inv_id, previous):
    with pytest.raises(ValueError, match=r"InvId|InvoiceID"):
        recurring_params("demo", Decimal(1), inv_id, previous, "p1")


def test_a_receipt_must_add_up():
    with pytest.raises(ValueError, match="add up"):
        recurring_params("demo", Decimal(99), 2, 1, "p1", receipt=RECEIPT)


def test_missing_login_or_password_are_refused():
    with pytest.raises(ValueError, match="MerchantLogin"):
        recurring_signature("", Decimal(1), 2, "p1")
    with pytest.raises(ValueError, match="Password"):
        recurring_signature("demo", Decimal(1), 2, "")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("OK200002", 200002),
        ("ok2", 2),
        ("OK+15\r\n", 15),
        ("  OK7  ", 7),
        ("Recurring error", None),
        ("OK", None),
        ("OK2 extra", None),
        ("<html>OK2</html>", None),
        ("OK" + "9" * 20, None),
        ("", None),
    ],
)
def test_the_answer(body, expected):
    assert accepted_inv_id(body) == expected


def test_php_default_json_escapes_as_php_does():
    receipt = Receipt(
        items=(ReceiptItem(name="a/b 😀 «x»", quantity=Decimal(1), sum=Decimal(1), tax="none"),)
    )
    text = php_default_json(receipt)
    assert "a\\/b \\ud83d\\ude00 \\u00abx\\u00bb" in text
    assert text.isascii()


def test_php_urlencode():
    assert php_urlencode("a b~*'") == "a+b%7E%2A%27"


def test_parent_carries_recurring_unsigned():
    """sdk-php's parent: ``Recurring=true`` sent, and signed over ``login:5:154:p1`` (the SDK
    sends ``OutSum=5`` where the plugin sends ``5.00``: the base is the same otherwise)."""
    assert sign(["login", "5", "154", "p1"]) == "ea9bd729a4456cfbfb91294b8e2781d6"
    params = payment_params("login", Decimal(5), 154, "p1", recurring=True)
    assert ("Recurring", "true") in params
    assert dict(params)["SignatureValue"] == sign(["login", "5.00", "154", "p1"])
    assert ("Recurring", "true") not in payment_params("login", Decimal(5), 154, "p1")


def test_recurring_url():
    assert recurring_url("auth.robokassa.kz") == "https://auth.robokassa.kz/Merchant/Recurring"
