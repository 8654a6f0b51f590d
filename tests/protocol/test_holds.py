"""Hold Confirm / Cancel, byte for byte against the vendor's SDK (protocol reference §11.6)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.protocol.test_recurring import RECEIPT
from wagtail_robokassa.protocol.holds import (
    cancel_params,
    cancel_signature,
    confirm_params,
    confirm_signature,
    hold_body,
    hold_url,
    read_hold_answer,
)


@pytest.mark.parametrize(
    ("receipt", "algorithm", "expected"),
    [
        (None, "md5", "de3ee070dbdd64427b6aae7613fd3b58"),
        (None, "sha256", "e551ed1b1300fd7d72befbb9e9be8eb9100a1ca469bef20fe0dd035fa7072f9b"),
        (RECEIPT, "md5", "7451d77c7d0b3deacbad2598a269659c"),
        (RECEIPT, "sha256", "bb95ecbd22e37dddbeaf2d671b088f19644be91f50e7bc142c54e26516c0cba4"),
    ],
)
def test_confirm_signature_vectors(receipt, algorithm, expected):
    signature = confirm_signature(
        "demo", Decimal("100.00"), 1, "password_1", receipt=receipt, algorithm=algorithm
    )
    assert signature == expected


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("md5", "559ea49ede095c966af0059988a63919"),
        ("sha256", "ea1ea47ef72125fdd9c0c309a9d26f504ee28f7103b1d9bd5abed7e90275ba00"),
    ],
)
def test_cancel_signature_vectors(algorithm, expected):
    assert cancel_signature("demo", 1, "password_1", algorithm=algorithm) == expected


def test_confirm_body_without_receipt_byte_for_byte():
    params = confirm_params("demo", Decimal("100.00"), 1, "password_1")
    assert hold_body(params) == (
        "MerchantLogin=demo&InvoiceID=1&OutSum=100.00"
        "&SignatureValue=de3ee070dbdd64427b6aae7613fd3b58"
    )


def test_confirm_body_with_receipt_byte_for_byte():
    params = confirm_params("demo", Decimal("100.00"), 1, "password_1", receipt=RECEIPT)
    assert hold_body(params) == (
        "MerchantLogin=demo&InvoiceID=1&OutSum=100.00&Receipt=%257B%2522items%2522%253A%255B"
        "%257B%2522name%2522%253A%2522%255Cu0422%255Cu043e%255Cu0432%255Cu0430%255Cu0440%2522"
        "%252C%2522quantity%2522%253A1%252C%2522sum%2522%253A100%252C%2522payment_method%2522"
        "%253A%2522full_payment%2522%252C%2522payment_object%2522%253A%2522commodity%2522%252C"
        "%2522tax%2522%253A%2522none%2522%257D%255D%257D"
        "&SignatureValue=7451d77c7d0b3deacbad2598a269659c"
    )


def test_cancel_body_byte_for_byte():
    params = cancel_params("demo", Decimal("100.00"), 1, "password_1")
    assert hold_body(params) == (
        "MerchantLogin=demo&InvoiceID=1&OutSum=100.00"
        "&SignatureValue=559ea49ede095c966af0059988a63919"
    )


def test_a_receipt_must_add_up_to_the_amount_charged():
    with pytest.raises(ValueError, match=r"(?i)sum|total"):
        confirm_params("demo", Decimal("60.00"), 1, "password_1", receipt=RECEIPT)


@pytest.mark.parametrize("amount", ["0", "-1", "0.00"])
def test_nothing_or_less_is_never_charged(amount):
    with pytest.raises(ValueError, match="OutSum must"):
        confirm_params("demo", Decimal(amount), 1, "password_1")


@pytest.mark.parametrize(
    ("login", "password"), [("", "password_1"), ("demo", "")], ids=["no login", "no password"]
)
def test_login_and_password_are_required(login, password):
    with pytest.raises(ValueError, match="required"):
        confirm_signature(login, Decimal(1), 1, password)
    with pytest.raises(ValueError, match="required"):
        cancel_signature(login, 1, password)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('"success: true"', True),
        ('"success: false"', False),
        (' "Success: True" \n', True),
        ("success: true", None),  # the vendor's tests refuse the bare words
        ('{"success":true}', None),
        ("true", None),
        ("<html>502</html>", None),
        ("", None),
        ('"OK1"', None),
    ],
)
def test_answers_are_read_as_the_sdk_reads_them(body, expected):
    assert read_hold_answer(body) is expected


def test_urls():
    assert hold_url("auth.robokassa.ru", "confirm") == (
        "https://auth.robokassa.ru/Merchant/Payment/Confirm"
    )
    assert hold_url("auth.robokassa.kz", "cancel") == (
        "https://auth.robokassa.kz/Merchant/Payment/Cancel"
    )
