"""The second receipt's and its status request's signed bodies, against the protocol
reference's §11.4 vectors (derived from ROBOKASSA's own code, byte for byte)."""

from decimal import Decimal

import pytest

from wagtail_robokassa.protocol import (
    fiscal_body,
    receipt_status_payload,
    second_receipt_payload,
    verify_fiscal_body,
)
from wagtail_robokassa.protocol.phpjson import php_json

P = (
    "eyJtZXJjaGFudElkIjoiZGVtbyIsImlkIjoiMiIsIm9yaWdpbklkIjoxLCJvcGVyYXRpb24iOiJzZWxsIiwic25vIjoid"
    "XNuX2luY29tZSIsInVybCI6Imh0dHBzOi8vZXhhbXBsZS5jb20vIiwidG90YWwiOjEwMCwiaXRlbXMiOlt7Im5hbWUiOi"
    "LQotC-0LLQsNGAIiwicXVhbnRpdHkiOjEsInN1bSI6MTAwLCJ0YXgiOiJub25lIiwicGF5bWVudF9tZXRob2QiOiJmdWx"
    "sX3BheW1lbnQiLCJwYXltZW50X29iamVjdCI6ImNvbW1vZGl0eSJ9XSwiY2xpZW50Ijp7ImVtYWlsIjoiYnV5ZXJAZXhh"
    "bXBsZS5jb20ifSwicGF5bWVudHMiOlt7InR5cGUiOjIsInN1bSI6MTAwfV0sInZhdHMiOlt7InR5cGUiOiJub25lIiwic"
    "3VtIjowfV19"
)
J = (
    '{"merchantId":"demo","id":"2","originId":1,"operation":"sell","sno":"usn_income",'
    '"url":"https://example.com/","total":100,"items":[{"name":"Товар","quantity":1,"sum":100,'
    '"tax":"none","payment_method":"full_payment","payment_object":"commodity"}],'
    '"client":{"email":"buyer@example.com"},"payments":[{"type":2,"sum":100}],'
    '"vats":[{"type":"none","sum":0}]}'
)
SIGNATURES = {
    "md5": "ZTY1ZWJmMTVmZDBlNWZhZjlkZGY4NDMxNjdiNzY0YjM",
    "sha256": "ZTE1ZGNmYjYwZjFjNDcwYjYyMzU2NjQ3MmNjZjM2ZWVhY2MwNTY2YjFlNDNiMTAxYTg2YmIxMzE3OTl"
    "kOGRiOA",
    "sha512": "MGQ3MGU5NGYwMmZmYTYwZWZjOWNkOTdhZmJkOGU1NTE2MjY0NzIyNDhmNjNiODI4OTdiNjY2YjhhYWR"
    "lYjhlOWU1ZDEzYWIxODEyNmY1YWM4NmQ5OTAxMTU4ZDVmMTY4YWI2ZWQ4ZWNkYWJkOTQ4MDY0ZTJlMzA0ZGUwZWM5"
    "MDE",
}
STATUS_P = "eyJtZXJjaGFudElkIjoiZGVtbyIsImlkIjoiMiJ9"
STATUS_SIGNATURES = {
    "md5": "NDBkNTAzY2M4ODYyYTYzNTc3N2Y0YmMxODE5OTNiZTQ",
    "sha256": "ODM5ZDEyZjUyMTQwM2QwOTcwZWIwY2I4ZjIzOTViMTVkNzM4Y2UwMzlmZWVlM2FiYjk4MDk3ZjUwNzE"
    "5ZjlhNQ",
    "sha512": "ZDZhZTg2ODNiYjhiMzZhZWRmODU1N2JmYmE5YzdhMjBlNWZlYTgwOGFmZDc4ZDUyODAzNmM4OTA0YTE"
    "xYTdkNzU4OWFhMWUzN2I5YjE0N2RiM2VkMWFhYjQzN2NjZDk3Zjg0YmI0ZGI3MjU5ZmUwY2UzOGZhNzE0NDJjNjc1OWM",
}


def vector_payload():
    return second_receipt_payload(
        merchant_login="demo",
        receipt_id=2,
        inv_id=1,
        sno="usn_income",
        url="https://example.com/",
        items=[
            {
                "name": "Товар",
                "quantity": Decimal(1),
                "sum": Decimal("100.00"),
                "tax": "none",
                "payment_method": "full_prepayment",
                "payment_object": "commodity",
            }
        ],
        email="buyer@example.com",
    )


def test_the_payload_is_the_vendors_json():
    assert php_json(vector_payload()) == J


@pytest.mark.parametrize("algorithm", sorted(SIGNATURES))
def test_the_second_receipt_body(algorithm):
    assert fiscal_body(vector_payload(), "password_1", algorithm) == f"{P}.{SIGNATURES[algorithm]}"


@pytest.mark.parametrize("algorithm", sorted(STATUS_SIGNATURES))
def test_the_status_body(algorithm):
    body = fiscal_body(
        receipt_status_payload("demo", 2), "password_1", algorithm, escape_slashes=True
    )
    assert body == f"{STATUS_P}.{STATUS_SIGNATURES[algorithm]}"


def test_the_docs_worked_example_signature():
    """docs: md5(<payload> + "robokassatest") written as base64 of its hex text."""
    from wagtail_robokassa.protocol.fiscal import fiscal_signature
    from wagtail_robokassa.protocol.phpjson import b64url

    assert b64url(b"3001586201143da4232896c44244bdbb") == (
        "MzAwMTU4NjIwMTE0M2RhNDIzMjg5NmM0NDI0NGJkYmI"
    )
    assert fiscal_signature(P, "password_1", "md5") == SIGNATURES["md5"]


def test_a_body_verifies_and_any_change_is_refused():
    body = fiscal_body(vector_payload(), "password_1", "sha256")
    assert verify_fiscal_body(body, "password_1", "sha256")["total"] == Decimal(100)
    for bad in (
        body.replace("LQotC-0L", "LQotC+0L"),  # OpenCart's standard base64 of the same JSON
        body + "x",
        body.split(".")[0],
        "",
        "a.b.c",
        "\x00.\udcff",
    ):
        with pytest.raises(ValueError, match=r"signature|two base64url parts"):
            verify_fiscal_body(bad, "password_1", "sha256")
    with pytest.raises(ValueError, match="signature does not match"):
        verify_fiscal_body(body, "password_2", "sha256")
    with pytest.raises(ValueError, match="signature does not match"):
        verify_fiscal_body(body, "password_1", "md5")


def test_php_escapes_line_separators_and_slashes_only_when_asked():
    assert php_json({"a": "x\u2028y/"}) == '{"a":"x\\u2028y/"}'
    assert php_json({"a": "/"}, escape_slashes=True) == '{"a":"\\/"}'
    assert php_json([Decimal("10.50"), Decimal("1E+2")]) == "[10.5,100]"
    with pytest.raises(TypeError):
        php_json(0.1)
