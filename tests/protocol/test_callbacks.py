from decimal import Decimal
from urllib.parse import parse_qs, parse_qsl

import pytest

from wagtail_robokassa.protocol import (
    MalformedCallback,
    is_signed_result,
    is_signed_success,
    parse_callback,
    result_signature,
    sign,
    success_signature,
)

# The production capture from the protocol reference §3.1, re-signed with a known password.
WIRE = (
    "out_summ=69.000000&OutSum=69.000000&inv_id=16799&InvId=16799&crc={sig}&SignatureValue={sig}"
    "&PaymentMethod=BankCard&IncSum=69.000000&IncCurrLabel=BankCardPSR&EMail=buyer%40example.com"
    "&Fee=2.690000&Shp_days=30&Shp_id=610893809"
)


def wire_body(password="password_2", algorithm="md5"):
    signature = sign(
        ["69.000000", "16799", password, "Shp_days=30", "Shp_id=610893809"], algorithm
    ).upper()
    return WIRE.format(sig=signature)


def test_parses_the_production_capture():
    callback = parse_callback(parse_qs(wire_body()))
    assert callback.out_sum_raw == "69.000000"
    assert callback.out_sum == Decimal("69.000000")
    assert callback.inv_id == 16799
    assert callback.fee == Decimal("2.690000")
    assert callback.inc_sum == Decimal("69.000000")
    assert callback.email == "buyer@example.com"
    assert callback.payment_method == "BankCard"
    assert callback.inc_curr_label == "BankCardPSR"
    assert callback.is_test is False
    assert callback.shp == (("Shp_days", "30"), ("Shp_id", "610893809"))
    assert callback.extra == {"days": "30", "id": "610893809"}
    assert is_signed_result(callback, "password_2")
    assert not is_signed_result(callback, "password_1")
    assert not is_signed_success(callback, "password_2" + "x")


@pytest.mark.parametrize("shape", [parse_qs, parse_qsl, lambda body: dict(parse_qsl(body))])
def test_accepts_parse_qs_pairs_and_plain_dicts(shape):
    assert is_signed_result(parse_callback(shape(wire_body())), "password_2")


def test_accepts_a_django_querydict(settings):
    from django.http import QueryDict

    callback = parse_callback(QueryDict(wire_body()))
    assert is_signed_result(callback, "password_2")


def test_received_out_sum_string_is_hashed_as_received():
    signature = result_signature("10.000000", 5, "p2")
    callback = parse_callback({"OutSum": "10.000000", "InvId": "5", "SignatureValue": signature})
    assert is_signed_result(callback, "p2")
    assert callback.out_sum == Decimal(10)
    normalized = parse_callback({"OutSum": "10.00", "InvId": "5", "SignatureValue": signature})
    assert not is_signed_result(normalized, "p2")


def test_lower_and_upper_case_signatures_verify():
    signature = success_signature("100.00", 7, "p1", algorithm="sha512")
    for variant in (signature.lower(), signature.upper()):
        callback = parse_callback({"OutSum": "100.00", "InvId": "7", "SignatureValue": variant})
        assert is_signed_success(callback, "p1", "sha512")
        assert not is_signed_success(callback, "p1", "md5")


def test_shp_in_any_case_are_signed_and_case_insensitive_order_is_accepted():
    shp = [("shp_label", "a"), ("Shp_merchant_id", "b"), ("SHPX", "c")]
    folded = sorted(shp, key=lambda item: item[0].lower())
    ordinal = sorted(shp)
    assert folded != ordinal
    for order in (folded, ordinal):
        signature = sign(["1.00", "3", "p2", *[f"{n}={v}" for n, v in order]])
        callback = parse_callback(
            [("OutSum", "1.00"), ("InvId", "3"), ("SignatureValue", signature), *shp]
        )
        assert is_signed_result(callback, "p2")
        assert callback.extra == {"label": "a", "merchant_id": "b", "X": "c"}


def test_a_received_shp_the_shop_did_not_send_is_still_signed():
    signature = sign(["1.00", "3", "p2"])
    callback = parse_callback(
        {"OutSum": "1.00", "InvId": "3", "SignatureValue": signature, "shp_interface": "invoice"}
    )
    assert not is_signed_result(callback, "p2")


def test_legacy_duplicates_are_ignored():
    signature = sign(["1.00", "3", "p2"])
    callback = parse_callback(
        {
            "OutSum": "1.00",
            "InvId": "3",
            "SignatureValue": signature,
            "out_summ": "999",
            "inv_id": "4",
            "crc": "nonsense",
        }
    )
    assert callback.shp == ()
    assert is_signed_result(callback, "p2")


def test_is_test_flag():
    base = {"OutSum": "1.00", "InvId": "3", "SignatureValue": "a" * 32}
    assert parse_callback({**base, "IsTest": "1"}).is_test is True
    assert parse_callback({**base, "IsTest": "0"}).is_test is False
    assert parse_callback({**base, "IsTest": ""}).is_test is False


def test_fail_url_is_parsed_unsigned():
    callback = parse_callback({"OutSum": "1.00", "InvId": "3", "Culture": "ru"}, signed=False)
    assert callback.signature == ""
    assert callback.culture == "ru"
    assert not is_signed_success(callback, "p1")


def test_unparsable_fee_is_not_a_reason_to_refuse():
    callback = parse_callback(
        {"OutSum": "1.00", "InvId": "3", "SignatureValue": "a" * 32, "Fee": "n/a"}
    )
    assert callback.fee is None


GOOD = {"OutSum": "1.00", "InvId": "3", "SignatureValue": "a" * 32}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"InvId": "3", "SignatureValue": "a" * 32}, "missing"),
        ({"OutSum": "1.00", "SignatureValue": "a" * 32}, "missing"),
        ({"OutSum": "1.00", "InvId": "3"}, "missing"),
        ({**GOOD, "OutSum": "-1.00"}, "bad_out_sum"),
        ({**GOOD, "OutSum": "0.000000"}, "bad_out_sum"),
        ({**GOOD, "OutSum": "NaN"}, "bad_out_sum"),
        ({**GOOD, "OutSum": "Infinity"}, "bad_out_sum"),
        ({**GOOD, "OutSum": "1e5"}, "bad_out_sum"),
        ({**GOOD, "OutSum": "1,00"}, "bad_out_sum"),
        ({**GOOD, "OutSum": "1234567890.00"}, "bad_out_sum"),
        ({**GOOD, "InvId": "abc"}, "bad_inv_id"),
        ({**GOOD, "InvId": "0"}, "bad_inv_id"),
        ({**GOOD, "InvId": "-3"}, "bad_inv_id"),
        ({**GOOD, "InvId": "2147483648"}, "bad_inv_id"),
        ({**GOOD, "InvId": "3.0"}, "bad_inv_id"),
        ({**GOOD, "InvId": "٣"}, "bad_inv_id"),
        ({**GOOD, "SignatureValue": "z" * 32}, "bad_signature_format"),
        ({**GOOD, "SignatureValue": "a" * 31}, "bad_signature_format"),
        ({**GOOD, "SignatureValue": ""}, "bad_signature_format"),
        ({**GOOD, "IsTest": "true"}, "bad_is_test"),
        ({**GOOD, "OutSum": ["1.00", "2.00"]}, "repeated"),
        ({**GOOD, "outsum": "1.00"}, "repeated"),
        ({**GOOD, "Shp_a": "1", "shp_a": "2"}, "repeated"),
        ({**GOOD, "Shp_a": "x" * 5000}, "too_long"),
        ({**GOOD, "S" * 100: "1"}, "too_long"),
        ({**GOOD, **{f"Shp_{i}": "1" for i in range(100)}}, "too_many"),
        ({**GOOD, "InvId": 3}, "bad_shape"),
        ({**GOOD, 3: "x"}, "bad_shape"),
        ("OutSum=1", "bad_shape"),
        (None, "bad_shape"),
        ([("OutSum", "1.00", "extra")], "bad_shape"),
    ],
)
def test_malformed_requests_are_refused_with_a_code(params, code):
    with pytest.raises(MalformedCallback) as raised:
        parse_callback(params)
    assert raised.value.code == code
    assert raised.value.reason


def test_reasons_never_contain_the_signature():
    with pytest.raises(MalformedCallback) as raised:
        parse_callback({**GOOD, "SignatureValue": "secret-looking-value"})
    assert "secret-looking-value" not in str(raised.value)
