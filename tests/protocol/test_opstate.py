from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest

from wagtail_robokassa.protocol import (
    OperationState,
    OpStateError,
    OpStateResult,
    opstate_request,
    parse_opstate,
)

PAID = """<?xml version="1.0" encoding="utf-8"?>
<OperationStateResponse xmlns="http://merchant.roboxchange.com/WebService/">
  <Result><Code>0</Code><Description/></Result>
  <State><Code>100</Code><RequestDate>2024-05-06T10:11:12.1234567+03:00</RequestDate>
    <StateDate>2024-05-06T10:12:00+03:00</StateDate></State>
  <Info>
    <IncCurrLabel>BankCardPSR</IncCurrLabel><IncSum>100.000000</IncSum>
    <IncAccount>220000******0000</IncAccount>
    <PaymentMethod><Code>BankCard</Code><Description>Банковская карта</Description></PaymentMethod>
    <OutCurrLabel>BCR</OutCurrLabel><OutSum>96.100000</OutSum>
    <OpKey>OPKEY-1</OpKey><BankCardRRN>123456789012</BankCardRRN>
  </Info>
  <UserField><Field><Name>Shp_order</Name><Value>25</Value></Field>
    <Field><Name>Shp_user</Name><Value>7</Value></Field></UserField>
</OperationStateResponse>""".encode()


def test_parses_a_paid_operation():
    state = parse_opstate(PAID)
    assert state.result is OpStateResult.OK
    assert state.state is OperationState.PAID
    assert state.is_paid
    moscow = timezone(timedelta(hours=3))
    assert state.request_date == datetime(2024, 5, 6, 10, 11, 12, 123456, tzinfo=moscow)
    assert state.state_date == datetime(2024, 5, 6, 10, 12, tzinfo=moscow)
    assert state.inc_sum == Decimal("100.000000")
    assert state.out_sum == Decimal("96.1")
    assert state.payment_method_code == "BankCard"
    assert state.payment_method_description == "Банковская карта"
    assert state.op_key == "OPKEY-1"
    assert state.bank_card_rrn == "123456789012"
    assert state.user_fields == (("Shp_order", "25"), ("Shp_user", "7"))


def test_without_namespace_and_with_user_fields_container():
    xml = PAID.replace(b' xmlns="http://merchant.roboxchange.com/WebService/"', b"").replace(
        b"UserField>", b"UserFields>"
    )
    state = parse_opstate(xml.decode())
    assert state.is_paid
    assert state.user_fields == (("Shp_order", "25"), ("Shp_user", "7"))


def test_prefixed_namespace():
    xml = (
        b'<r:OperationStateResponse xmlns:r="urn:x"><r:Result><r:Code>0</r:Code></r:Result>'
        b"<r:State><r:Code>5</r:Code></r:State></r:OperationStateResponse>"
    )
    state = parse_opstate(xml)
    assert state.state is OperationState.INITIATED
    assert not state.is_paid


def test_error_answer_has_no_state():
    state = parse_opstate(
        b"<OperationStateResponse><Result><Code>3</Code><Description>not found</Description>"
        b"</Result></OperationStateResponse>"
    )
    assert state.result is OpStateResult.NOT_FOUND
    assert state.state is None
    assert state.result_description == "not found"


def test_unknown_codes_are_kept_not_fatal():
    state = parse_opstate(b"<a><Result><Code>0</Code></Result><State><Code>30</Code></State></a>")
    assert state.state is OperationState.UNKNOWN
    assert state.state_code == 30
    assert parse_opstate(b"<a><Result><Code>77</Code></Result></a>").result is OpStateResult.UNKNOWN


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        (b"<a><Result>", "not well-formed"),
        (b"", "not well-formed"),
        (b"<a/>", "no Result/Code"),
        (b"<a><Result><Code>x</Code></Result></a>", "not an integer"),
        (b"<a><Result><Code>0</Code></Result></a>", "no State/Code"),
        (
            b"<a><Result><Code>0</Code></Result><State><Code>100</Code>"
            b"<StateDate>yesterday</StateDate></State></a>",
            "ISO 8601",
        ),
        (
            b"<a><Result><Code>0</Code></Result><State><Code>100</Code></State>"
            b"<Info><IncSum>lots</IncSum></Info></a>",
            "not a number",
        ),
        (
            b"<a><Result><Code>0</Code></Result><State><Code>100</Code></State>"
            b"<Info><OutSum>NaN</OutSum></Info></a>",
            "finite",
        ),
        (b"<a>" + b"x" * 1_000_001 + b"</a>", "too large"),
    ],
)
def test_malformed_answers_raise_a_clear_error(xml, message):
    with pytest.raises(OpStateError, match=message):
        parse_opstate(xml)


def test_entity_expansion_is_not_followed():
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<a><Result><Code>&lol2;</Code></Result></a>"""
    with pytest.raises(OpStateError, match="declaration is refused"):
        parse_opstate(bomb)


def test_external_entities_are_not_followed():
    xxe = b"""<?xml version="1.0"?>
<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a><Result><Code>&x;</Code></Result></a>"""
    with pytest.raises(OpStateError, match="declaration is refused"):
        parse_opstate(xxe)


def test_request_fields():
    assert opstate_request("demo", 12345, "password_2") == [
        ("MerchantLogin", "demo"),
        ("InvoiceID", "12345"),
        ("Signature", "4c59293c7b4a23ebc41407f9fb522979"),
    ]
