"""Signing and verifying agree: what the library signs, a callback can carry back, and a signed
``Shp_`` value cannot be split into two parameters under the same signature."""

import pytest

from wagtail_robokassa.protocol import (
    MAX_CALLBACK_PARAMS,
    MAX_SHP_PARAMS,
    MAX_VALUE_LENGTH,
    MalformedCallback,
    is_signed_result,
    parse_callback,
    payment_params,
    result_signature,
)

LOGIN, PASSWORD1, PASSWORD2 = "shop", "p1", "p2"


def _callback_for(shp: dict[str, str]) -> list[tuple[str, str]]:
    """The Result URL request ROBOKASSA sends back for a payment with these Shp values, with
    every parameter production sends."""
    signature = result_signature("100.000000", 7, PASSWORD2, shp=shp).upper()
    return [
        ("out_summ", "100.000000"),
        ("OutSum", "100.000000"),
        ("inv_id", "7"),
        ("InvId", "7"),
        ("crc", signature),
        ("SignatureValue", signature),
        ("PaymentMethod", "BankCard"),
        ("IncSum", "100.000000"),
        ("IncCurrLabel", "BankCardPSR"),
        ("EMail", "buyer@example.com"),
        ("Fee", "3.900000"),
        ("IsTest", "1"),
        ("Culture", "ru"),
        *sorted(shp.items()),
    ]


def test_the_most_that_can_be_signed_is_accepted_back():
    shp = {f"Shp_p{index:03d}": "x" * MAX_VALUE_LENGTH for index in range(MAX_SHP_PARAMS)}
    payment_params(LOGIN, "100.00", 7, PASSWORD1, shp=shp)
    callback = parse_callback(_callback_for(shp))
    assert len(callback.shp) == MAX_SHP_PARAMS
    assert is_signed_result(callback, PASSWORD2)
    assert len(_callback_for(shp)) <= MAX_CALLBACK_PARAMS


def test_a_value_longer_than_a_callback_carries_is_refused_at_signing():
    with pytest.raises(ValueError, match="longer than 2048"):
        payment_params(LOGIN, "100.00", 7, PASSWORD1, shp={"Shp_note": "x" * 3000})
    with pytest.raises(MalformedCallback):
        parse_callback(_callback_for({"Shp_note": "x" * 3000}))


def test_more_shp_parameters_than_a_callback_carries_are_refused_at_signing():
    shp = {f"Shp_p{index:03d}": "1" for index in range(95)}
    with pytest.raises(ValueError, match=f"at most {MAX_SHP_PARAMS}"):
        payment_params(LOGIN, "100.00", 7, PASSWORD1, shp=shp)
    with pytest.raises(MalformedCallback):
        parse_callback(_callback_for(shp))


def test_a_too_long_name_is_refused_at_signing():
    with pytest.raises(ValueError, match="longer than 64"):
        payment_params(LOGIN, "100.00", 7, PASSWORD1, shp={"n" * 70: "1"})


@pytest.mark.parametrize(
    "value",
    ["hi:Shp_order=42", "hi:shp_order=42", "a:SHPx=1", "x:shp=", "12:30:Shp_a=b"],
)
def test_a_value_that_reads_as_two_parameters_is_refused_at_signing(value):
    with pytest.raises(ValueError, match="split"):
        payment_params(LOGIN, "100.00", 7, PASSWORD1, shp={"Shp_comment": value})


@pytest.mark.parametrize("value", ["12:30", "https://shop.example/a?b=c", "a=b", "shp=1", ":"])
def test_colons_and_equals_signs_that_cannot_be_split_are_signed(value):
    params = dict(payment_params(LOGIN, "100.00", 7, PASSWORD1, shp={"Shp_comment": value}))
    assert params["Shp_comment"] == value


def test_the_split_attack_shows_why_the_rule_exists():
    """Signed as one value, resubmitted as two: the signature would match; hence the refusal."""
    joined = result_signature("100", 7, PASSWORD2, shp={"Shp_comment": "hi:Shp_order=42"})
    split = result_signature("100", 7, PASSWORD2, shp={"Shp_comment": "hi", "Shp_order": "42"})
    assert joined == split


@pytest.mark.parametrize("name", ["Shp_a=b", "Shp_a:b", "shp:x"])
def test_received_shp_names_with_separators_are_malformed(name):
    params = [("OutSum", "1"), ("InvId", "1"), ("SignatureValue", "0" * 32), (name, "c")]
    with pytest.raises(MalformedCallback) as error:
        parse_callback(params)
    assert error.value.code == "bad_shp_name"
