from decimal import Decimal

import pytest

from wagtail_robokassa.protocol import (
    PaymentMethod,
    Receipt,
    ReceiptError,
    ReceiptItem,
    Tax,
    check_receipt_total,
    decode_receipt,
    encode_receipt,
)


def item(**overrides):
    values = {"name": "Книга", "sum": Decimal("150.50"), "tax": "vat20"}
    values.update(overrides)
    return ReceiptItem(**values)


def test_values_are_coerced_to_enums_and_decimals():
    line = item(quantity="2", payment_method="full_prepayment", cost="75.25")
    assert line.tax is Tax.VAT20
    assert line.payment_method is PaymentMethod.FULL_PREPAYMENT
    assert line.quantity == Decimal(2)
    assert line.cost == Decimal("75.25")


def test_json_is_compact_keeps_cyrillic_and_writes_exact_numbers():
    receipt = Receipt(items=(item(quantity=Decimal("1.5")), item(name='Say "hi"', sum=10)))
    assert receipt.to_json() == (
        '{"items":[{"name":"Книга","quantity":1.5,"sum":150.5,"tax":"vat20"},'
        '{"name":"Say \\"hi\\"","quantity":1,"sum":10,"tax":"vat20"}]}'
    )
    assert receipt.total == Decimal("160.50")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": ""}, "needs a name"),
        ({"name": "   "}, "needs a name"),
        ({"name": "x" * 129}, "at most 128"),
        ({"sum": 10.5}, "float"),
        ({"sum": Decimal("-1")}, "negative"),
        ({"sum": Decimal("1.001")}, "2 decimal places"),
        ({"sum": Decimal("123456789")}, "integer digits"),
        ({"tax": "vat18"}, "tax 'vat18' is not one of"),
        ({"payment_method": "cash"}, "payment_method"),
        ({"payment_object": "thing"}, "payment_object"),
        ({"quantity": 0}, "greater than zero"),
        ({"quantity": Decimal("0.0001")}, "3 decimal places"),
        ({"quantity": Decimal("100000")}, "more than 99999.999"),
    ],
)
def test_invalid_lines_are_refused(overrides, message):
    with pytest.raises(ReceiptError, match=message):
        item(**overrides)


def test_name_of_exactly_128_characters_is_accepted():
    assert len(item(name="я" * 128).name) == 128


def test_receipt_needs_lines_and_caps_them():
    with pytest.raises(ReceiptError, match="at least one"):
        Receipt(items=())
    with pytest.raises(ReceiptError, match="at most 100"):
        Receipt(items=tuple(item() for _ in range(101)))
    with pytest.raises(ReceiptError, match="sno"):
        Receipt(items=(item(),), sno="simplified")


def test_total_must_equal_out_sum():
    receipt = Receipt(items=(item(sum=100), item(sum=Decimal("0.5"))))
    check_receipt_total(receipt, "100.50")
    with pytest.raises(ReceiptError, match=r"add up to 100\.50 but OutSum is 100\.00"):
        check_receipt_total(receipt, Decimal(100))


def test_encode_decode_round_trip_and_dict_round_trip():
    receipt = Receipt(
        sno="usn_income",
        items=(item(payment_object="service", nomenclature_code="04 6 0"), item(cost=1)),
    )
    assert decode_receipt(encode_receipt(receipt)) == receipt
    assert Receipt.from_dict(receipt.to_dict()) == receipt


@pytest.mark.parametrize(
    ("encoded", "message"),
    [
        ("%7B", "not URL-encoded JSON"),
        ("%5B%5D", "JSON object"),
        ("%7B%7D", "'items' list"),
        ("%7B%22items%22%3A%5B1%5D%7D", "JSON object"),
        ('{"items":[{"name":"a","sum":1}]}', "'name' and 'tax'"),
        ('{"items":[{"name":"a","tax":"none"}]}', "'sum'"),
        ('{"items":[{"name":"a","tax":"none","sum":1,"price":2}]}', "unknown receipt line"),
        ('{"items":[{"name":"a","tax":"none","sum":true}]}', "must be a number"),
        ('{"items":[{"name":"a","tax":"none","sum":1.5e400}]}', "integer digits"),
        ('{"items":[{"name":"a","tax":"none","sum":NaN}]}', "must be a number"),
    ],
)
def test_decode_refuses_malformed_receipts(encoded, message):
    with pytest.raises(ReceiptError, match=message):
        decode_receipt(encoded)
