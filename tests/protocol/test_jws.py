"""ResultUrl2 tokens (protocol reference §12.1.1, vectors §12.5): the docs' token, tokens made
with the RFC 7515 A.2 key, and every way a token must be refused."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import NameOID

import wagtail_robokassa
from wagtail_robokassa.contrib.emulator import jws as emulator_jws
from wagtail_robokassa.protocol.jws import (
    JwsError,
    b64url,
    load_certificate,
    notification_payload,
    parse_jws,
    read_body,
    read_state_notification,
    sign_rs256,
    unverified_inv_id,
    verify_rs256,
)

BUNDLED = Path(wagtail_robokassa.__file__).parent / "certificates" / "robokassa-result-url-2.pem"

#: R2-1: the token printed in ROBOKASSA's documentation (2023-07-27), as its bytes are.
DOCS_TOKEN = (
    "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJoZWFkZXIiOnsidHlwZSI6IlBheW1lbnRTdGF0ZU5vdGlmaWNh"
    "dGlvbiIsInZlcnNpb24iOiIxLjAuMCIsInRpbWVzdGFtcCI6IjE2OTA0NTQ5ODAifSwiZGF0YSI6eyJzaG9wIjoicm9i"
    "by1kZW1vLXRlc3QiLCJvcEtleSI6IjE0RDJCNTIxLTRFQUItNDkyQS05RDkxLTAwRDEyRkYyNEQ1Ny0xTnZIRU5Md2dw"
    "IiwiaW52SWQiOiIxMjM0ODI5IiwicGF5bWVudE1ldGhvZCI6IkJhbmtDYXJkIiwiaW5jU3VtIjoiMTAuMDAiLCJzdGF0"
    "ZSI6Ik9LIn19.DaanjJ4A2yaGOppIVEj929MGNWU4jHcjAh4_DnFRJzkqvESbVpN5trGg8OlaftyQEldxeQaTF9ykrS7"
    "O1BmhPow0ZRv4GwjJQSwHzCGJUOcyVw507PMnRSAIT4oXq_PtKjqjuHQL_bxQxyGxZORoKhzsDwBYl_nMXsY-R_SCXPfv"
    "YRDPeJRRlC-HwQscOzyGN1cBHStuh5-w8qHytpaysVlif_XYK1-Lfa3ZsFjNz-2LENGL4CRmKMA2KhUfhNfNWXSA4J2K"
    "ykfWznAvaY37T__QQHhDyHuIjsUtstG5Jf2aK2CuJY-i9mBTRkXD0U3Y5Lh7lnJQrkXAMBySRvYigQ"
)
DOCS_PAYLOAD = {
    "header": {
        "type": "PaymentStateNotification",
        "version": "1.0.0",
        "timestamp": "1690454980",
    },
    "data": {
        "shop": "robo-demo-test",
        "opKey": "14D2B521-4EAB-492A-9D91-00D12FF24D57-1NvHENLwgp",
        "invId": "1234829",
        "paymentMethod": "BankCard",
        "incSum": "10.00",
        "state": "OK",
    },
}
#: RFC 7515 A.2's own token, which the A.2 key must verify (R2-4).
RFC_TOKEN = (
    "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNv"
    "bS9pc19yb290Ijp0cnVlfQ.cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5RZmh7AAuHIm"
    "4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75vRK5h6"
    "xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv"
    "hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"
)
SENT = datetime(2023, 7, 27, 10, 49, 40, tzinfo=UTC)  # the docs token's timestamp
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _docs_segments(state: str = "OK") -> tuple[str, str]:
    header, payload, _signature = DOCS_TOKEN.split(".")
    if state != "OK":
        document = base64.urlsafe_b64decode(payload + "==")
        payload = b64url(document.replace(b'"state":"OK"', f'"state":"{state}"'.encode()))
    return header, payload


def _a2_signed(state: str = "OK") -> str:
    header, payload = _docs_segments(state)
    key = emulator_jws.private_key()
    signature = key.sign(f"{header}.{payload}".encode(), *emulator_jws.RS256)
    return f"{header}.{payload}.{b64url(signature)}"


@pytest.fixture
def emulator_certificate():
    return emulator_jws.certificate()


def test_the_docs_token_parses_to_the_documented_payload():
    jws = parse_jws(DOCS_TOKEN)
    assert jws.header == {"typ": "JWT", "alg": "RS256"}
    assert jws.payload == DOCS_PAYLOAD
    assert unverified_inv_id(jws) == 1234829


def test_the_docs_token_fails_against_the_current_certificate():
    certificate = load_certificate(BUNDLED.read_bytes())
    assert certificate.not_valid_after_utc == datetime(2027, 6, 16, 12, 9, 20, tzinfo=UTC)
    with pytest.raises(JwsError) as refused:
        verify_rs256(parse_jws(DOCS_TOKEN), [certificate], now=NOW)
    assert refused.value.code == "bad_signature"


def test_the_a2_key_verifies_rfc_7515s_own_token(emulator_certificate):
    jws = parse_jws(RFC_TOKEN)
    key = emulator_certificate.public_key()
    key.verify(jws.signature, jws.signing_input, *emulator_jws.RS256)  # raises when it fails


@pytest.mark.parametrize(
    ("state", "start", "end"),
    [("OK", "c4wPkGqmPABKkXYk", "6GEFseQ"), ("HOLD", "mngF7kEw9pUWwwQv", "Uu2kHw")],
)
def test_the_a2_tokens_are_the_vectors_and_verify(emulator_certificate, state, start, end):
    token = _a2_signed(state)
    signature = token.rsplit(".", 1)[1]
    assert signature.startswith(start)
    assert signature.endswith(end)
    jws = parse_jws(token)
    assert verify_rs256(jws, [emulator_certificate], now=NOW) == emulator_certificate
    notice = read_state_notification(
        jws.payload, merchant_login="robo-demo-test", now=SENT + timedelta(minutes=1)
    )
    assert notice.state == state
    assert notice.inv_id == 1234829
    assert notice.op_key == "14D2B521-4EAB-492A-9D91-00D12FF24D57-1NvHENLwgp"
    assert notice.inc_sum == Decimal("10.00")
    assert notice.sent_at == SENT
    assert notice.payment_method == "BankCard"


def test_a_payload_swapped_under_a_valid_signature_is_refused(emulator_certificate):
    ok_signature = _a2_signed("OK").rsplit(".", 1)[1]
    header, hold_payload = _docs_segments("HOLD")
    with pytest.raises(JwsError) as refused:
        verify_rs256(
            parse_jws(f"{header}.{hold_payload}.{ok_signature}"), [emulator_certificate], now=NOW
        )
    assert refused.value.code == "bad_signature"


def _token(header: dict, payload: bytes, signature: bytes) -> str:
    return f"{b64url(json.dumps(header).encode())}.{b64url(payload)}.{b64url(signature)}"


def test_alg_none_is_refused_before_any_key(emulator_certificate):
    payload = json.dumps(DOCS_PAYLOAD).encode()
    header = b64url(b'{"alg":"none","typ":"JWT"}')
    token = f"{header}.{b64url(payload)}."
    with pytest.raises(JwsError) as refused:
        verify_rs256(parse_jws(token), [emulator_certificate], now=NOW)
    assert refused.value.code == "bad_algorithm"


def test_hs256_keyed_with_the_certificate_is_refused(emulator_certificate):
    """The classic confusion: the public certificate used as an HMAC secret."""
    pem = emulator_certificate.public_bytes(serialization.Encoding.PEM)
    header = b64url(b'{"alg":"HS256","typ":"JWT"}')
    payload = b64url(json.dumps(DOCS_PAYLOAD).encode())
    mac = hmac.new(pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    with pytest.raises(JwsError) as refused:
        verify_rs256(
            parse_jws(f"{header}.{payload}.{b64url(mac)}"), [emulator_certificate], now=NOW
        )
    assert refused.value.code == "bad_algorithm"


@pytest.mark.parametrize(
    "header",
    [{"alg": "RS512", "typ": "JWT"}, {"alg": "RS256"}, {"alg": "rs256", "typ": "JWT"}, {}],
)
def test_only_rs256_of_type_jwt_is_accepted(emulator_certificate, header):
    token = _token(header, json.dumps(DOCS_PAYLOAD).encode(), b"x" * 256)
    with pytest.raises(JwsError) as refused:
        verify_rs256(parse_jws(token), [emulator_certificate], now=NOW)
    assert refused.value.code == "bad_algorithm"


def _certificate(not_before: datetime, not_after: datetime) -> x509.Certificate:
    key = emulator_jws.private_key()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "expired")])
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )


def test_an_expired_certificate_verifies_nothing():
    expired = _certificate(NOW - timedelta(days=400), NOW - timedelta(days=1))
    with pytest.raises(JwsError) as refused:
        verify_rs256(parse_jws(_a2_signed()), [expired], now=NOW)
    assert refused.value.code == "no_valid_certificate"


def test_a_certificate_not_valid_yet_verifies_nothing():
    future = _certificate(NOW + timedelta(days=1), NOW + timedelta(days=400))
    with pytest.raises(JwsError) as refused:
        verify_rs256(parse_jws(_a2_signed()), [future], now=NOW)
    assert refused.value.code == "no_valid_certificate"


def test_any_valid_certificate_of_several_may_verify(emulator_certificate):
    """During a rotation both the stored and the bundled certificate are tried."""
    bundled = load_certificate(BUNDLED.read_bytes())
    jws = parse_jws(_a2_signed())
    assert verify_rs256(jws, [bundled, emulator_certificate], now=NOW) == emulator_certificate


def _payload(**data) -> dict:
    payload = json.loads(json.dumps(DOCS_PAYLOAD))
    for name, value in data.items():
        section = "header" if name in ("type", "timestamp", "version") else "data"
        if value is None:
            payload[section].pop(name, None)
        else:
            payload[section][name] = value
    return payload


@pytest.mark.parametrize(
    ("changes", "now", "code"),
    [
        ({}, SENT + timedelta(days=7, seconds=1), "stale"),
        ({}, SENT - timedelta(minutes=6), "future_timestamp"),
        ({"timestamp": "16904549.80"}, SENT, "bad_timestamp"),
        ({"timestamp": "-1690454980"}, SENT, "bad_timestamp"),
        ({"timestamp": None}, SENT, "bad_timestamp"),
        ({"timestamp": "9" * 40}, SENT, "bad_timestamp"),
        ({"timestamp": "300000000000"}, SENT, "bad_timestamp"),  # past the year 9999
        ({"timestamp": "999999999999"}, SENT, "bad_timestamp"),
        ({"shop": "another-shop"}, SENT, "wrong_shop"),
        ({"shop": None}, SENT, "wrong_shop"),
        ({"type": "RefundStateNotification"}, SENT, "bad_type"),
        ({"state": "PAID"}, SENT, "bad_state"),
        ({"state": "ok"}, SENT, "bad_state"),
        ({"invId": ""}, SENT, "bad_inv_id"),
        ({"invId": "0"}, SENT, "bad_inv_id"),
        ({"invId": "١٢"}, SENT, "bad_inv_id"),
        ({"invId": "9223372036854775808"}, SENT, "bad_inv_id"),
        ({"opKey": ""}, SENT, "bad_op_key"),
        ({"opKey": "x" * 256}, SENT, "bad_op_key"),
    ],
)
def test_acceptance_rules(changes, now, code):
    with pytest.raises(JwsError) as refused:
        read_state_notification(_payload(**changes), merchant_login="robo-demo-test", now=now)
    assert refused.value.code == code


def test_the_age_limit_can_be_set():
    later = SENT + timedelta(days=2)
    with pytest.raises(JwsError, match="too old"):
        read_state_notification(
            DOCS_PAYLOAD, merchant_login="robo-demo-test", now=later, max_age=timedelta(days=1)
        )


def test_an_unreadable_amount_is_kept_as_unknown():
    notice = read_state_notification(
        _payload(incSum="NaN"), merchant_login="robo-demo-test", now=SENT
    )
    assert notice.inc_sum is None


@pytest.mark.parametrize(
    ("wrap", "how"),
    [
        (lambda token: token, "compact"),
        (lambda token: f"  {token}\r\n", "compact"),
        (lambda token: base64.b64encode(token.encode()).decode(), "base64"),
        (lambda token: base64.urlsafe_b64encode(token.encode()).decode().rstrip("="), "base64"),
        (lambda token: json.dumps(token), "json"),
    ],
)
def test_the_body_may_be_the_token_or_wrap_it(wrap, how):
    assert read_body(wrap(DOCS_TOKEN).encode()) == (DOCS_TOKEN, how)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"OutSum=1&InvId=2",
        b"\xff\xfe",
        b"a.b",
        b"a.b.c.d",
        b"x" * (17 * 1024),
        base64.b64encode(b"not a token"),
        b'"not.a token"x',
    ],
)
def test_other_bodies_are_not_tokens(body):
    def read(data):
        token, _how = read_body(data)
        return parse_jws(token)

    with pytest.raises(JwsError):
        read(body)


@pytest.mark.parametrize(
    "token",
    ["a.b.c", "eyJ9.eyJ9.AA", "W10.W10.AA", "e30.e30.A A", f"{b64url(b'{}')}.e30.%%", "..."],
)
def test_broken_segments_are_refused(token):
    with pytest.raises(JwsError):
        parse_jws(token)


def test_the_emulator_signs_what_the_plugin_verifies(emulator_certificate):
    sent = datetime(2026, 12, 1, 11, 59, tzinfo=UTC)
    payload = notification_payload(
        shop="demo", inv_id=7, op_key="K-1", state="HOLD", inc_sum="10.00", sent_at=sent
    )
    token = sign_rs256(payload, emulator_jws.private_key())
    jws = parse_jws(token)
    assert jws.header == {"typ": "JWT", "alg": "RS256"}
    verify_rs256(jws, [emulator_certificate], now=NOW)
    notice = read_state_notification(jws.payload, merchant_login="demo", now=NOW)
    assert (notice.inv_id, notice.state, notice.op_key, notice.sent_at) == (7, "HOLD", "K-1", sent)


@pytest.mark.parametrize(
    "data", [b"", b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", b"\x30\x03"]
)
def test_a_broken_certificate_is_refused(data):
    with pytest.raises(JwsError) as refused:
        load_certificate(data)
    assert refused.value.code == "bad_certificate"


def test_a_certificate_loads_from_pem_der_or_bare_base64():
    pem = BUNDLED.read_bytes()
    certificate = load_certificate(pem)
    der = certificate.public_bytes(serialization.Encoding.DER)
    assert load_certificate(der) == certificate
    assert load_certificate(base64.b64encode(der)) == certificate
    assert load_certificate(pem.decode()) == certificate
