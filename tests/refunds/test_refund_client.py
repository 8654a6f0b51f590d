"""The Refund API client: the vendor's bytes (protocol reference §11.5) and what each failure
means for the money (not sent, refused, uncertain)."""

import json
from decimal import Decimal

import pytest

from tests.status_servers import closed_port
from wagtail_robokassa.gateway import refunds as refund_client
from wagtail_robokassa.protocol import refund_token, verify_refund_token
from wagtail_robokassa.services.config import get_config

ITEM = {
    "Name": "Товар",
    "Quantity": 1,
    "Cost": Decimal("10.5"),
    "Tax": "none",
    "PaymentMethod": "full_payment",
    "PaymentObject": "commodity",
}
VENDOR_BODY = (
    '"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJPcEtleSI6IlRFU1QtT1BLRVkiLCJSZWZ1bmRTdW0iOjEwLjUsIkl'
    "udm9pY2VJdGVtcyI6W3siTmFtZSI6ItCi0L7QstCw0YAiLCJRdWFudGl0eSI6MSwiQ29zdCI6MTAuNSwiVGF4Ijoibm9u"
    "ZSIsIlBheW1lbnRNZXRob2QiOiJmdWxsX3BheW1lbnQiLCJQYXltZW50T2JqZWN0IjoiY29tbW9kaXR5In1dfQ.Ch3qVW"
    'by8Ztd6D9BTBFfAziBwPAh24GOqHYPCJm4NIQ"'
)
FULL_REFUND = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJPcEtleSI6IlRFU1QtT1BLRVkifQ."
    "UXlylZb0aqEDullrfTstEHbUGED6h2-E2yum5w1euDs"
)
REQUEST_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def test_the_vendor_body_byte_for_byte():
    payload = refund_client.refund_payload("TEST-OPKEY", Decimal("10.50"), [ITEM])
    body = json.dumps(refund_token(payload, "password_3"))
    assert body == VENDOR_BODY
    assert len(body.encode()) == 317


def test_a_full_refund_sends_no_amount():
    assert refund_client.refund_payload("TEST-OPKEY", None) == {"OpKey": "TEST-OPKEY"}
    assert refund_token({"OpKey": "TEST-OPKEY"}, "password_3") == FULL_REFUND


def test_a_token_verifies_only_with_its_password():
    assert verify_refund_token(FULL_REFUND, "password_3") == {"OpKey": "TEST-OPKEY"}
    with pytest.raises(ValueError, match="does not match"):
        verify_refund_token(FULL_REFUND, "password_4")
    with pytest.raises(ValueError, match="three parts"):
        verify_refund_token("abc", "password_3")
    with pytest.raises(ValueError, match="HS256, HS384 or HS512"):
        verify_refund_token("eyJhbGciOiJub25lIn0.e30.", "password_3")  # alg none


@pytest.fixture
def config(settings):
    settings.ROBOKASSA_PASSWORD3 = "refund-password-3"
    return get_config()


def create(config):
    return refund_client.create_refund(config, "OPKEY", Decimal("10.00"))


@pytest.mark.django_db
def test_accepted(misbehaving, config):
    seen = misbehaving(
        (200, json.dumps({"success": True, "message": None, "requestId": REQUEST_ID}).encode())
    )
    assert create(config) == REQUEST_ID
    (body,) = seen.raw
    payload = verify_refund_token(json.loads(body), "refund-password-3")
    assert payload == {"OpKey": "OPKEY", "RefundSum": Decimal("10")}
    assert "refund-password-3" not in body


@pytest.mark.django_db
def test_refused_names_the_reason(misbehaving, config):
    misbehaving((200, b'{"success":false,"message":"NotEnoughOperationFunds","requestId":null}'))
    with pytest.raises(refund_client.RefundRefused, match="not enough funds") as caught:
        create(config)
    assert caught.value.code == "NotEnoughOperationFunds"


@pytest.mark.parametrize(
    "answer",
    [(500, b"down"), (200, b"<html>"), (200, b'{"success":true,"requestId":"not-a-uuid"}')],
    ids=["500", "not-json", "bad-id"],
)
@pytest.mark.django_db
def test_an_unreadable_outcome_is_uncertain_and_never_resent(misbehaving, config, answer):
    seen = misbehaving(answer)
    with pytest.raises(refund_client.RefundUncertain, match="may have been accepted"):
        create(config)
    assert len(seen) == 1  # a 5xx is not retried: the refund may have been made


@pytest.mark.django_db
def test_a_timeout_after_sending_is_uncertain(misbehaving, config, settings):
    settings.ROBOKASSA_INTERACTIVE_DEADLINE = 0.3
    seen = misbehaving(("sleep", 1.5))
    with pytest.raises(refund_client.RefundUncertain):
        create(config)
    assert len(seen) == 1


@pytest.mark.django_db
def test_no_connection_is_not_sent(settings, config):
    settings.ROBOKASSA_REFUND_URL = f"http://127.0.0.1:{closed_port()}/RefundService"
    with pytest.raises(refund_client.RefundNotSent, match="nothing was sent"):
        create(config)


@pytest.mark.django_db
def test_without_password3_nothing_is_sent(settings, misbehaving):
    seen = misbehaving()
    settings.ROBOKASSA_PASSWORD3 = ""
    with pytest.raises(refund_client.RefundNotConfigured):
        create(get_config())
    assert seen == []


@pytest.mark.django_db
def test_state(misbehaving, config):
    misbehaving(
        (503, b"busy"),
        (200, json.dumps({"requestId": REQUEST_ID, "amount": 10.0, "label": "finished"}).encode()),
    )
    state = refund_client.refund_state(REQUEST_ID)
    assert (state.label, state.amount) == ("finished", Decimal("10.0"))


@pytest.mark.django_db
def test_state_of_an_unknown_request(misbehaving, config):
    misbehaving((200, b'{"message":"Id is invalid or request id does not exist"}'))
    with pytest.raises(refund_client.RefundRefused, match="does not know"):
        refund_client.refund_state(REQUEST_ID)
    with pytest.raises(refund_client.RefundRefused, match="not a ROBOKASSA refund request id"):
        refund_client.refund_state("../../etc/passwd")


def test_a_compressed_answer_is_read(misbehaving, config):
    import gzip

    answer = b'{"success":true,"message":null,"requestId":"0f2c8e8e-3b1a-4a8e-9c55-1f0e6b2d9a10"}'
    misbehaving((200, gzip.compress(answer), {"Content-Encoding": "gzip"}))
    assert create(config) == "0f2c8e8e-3b1a-4a8e-9c55-1f0e6b2d9a10"
