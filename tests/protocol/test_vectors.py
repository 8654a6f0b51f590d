"""Every test vector of docs/robokassa-protocol.md §7, through the public API where one exists."""

import hashlib
from decimal import Decimal

import pytest

from wagtail_robokassa.protocol import (
    HASH_ALGORITHMS,
    Receipt,
    ReceiptItem,
    encode_receipt,
    invoice_api_token,
    opstate_signature,
    payment_signature,
    refund_token,
    result_signature,
    sign,
    success_signature,
)

RECEIPT_JSON = (
    '{"sno":"osn","items":[{"name":"Товар 1","quantity":1,"sum":100,'
    '"payment_method":"full_payment","payment_object":"commodity","tax":"none"}]}'
)
RECEIPT_R = (
    "%7B%22sno%22%3A%22osn%22%2C%22items%22%3A%5B%7B%22name%22%3A%22%D0%A2%D0%BE%D0%B2%D0%B0%D1%80"
    "%201%22%2C%22quantity%22%3A1%2C%22sum%22%3A100%2C%22payment_method%22%3A%22full_payment%22%2C"
    "%22payment_object%22%3A%22commodity%22%2C%22tax%22%3A%22none%22%7D%5D%7D"
)
SHP = {"Shp_login": "Vasya", "Shp_oplata": "1"}


def vector_receipt() -> Receipt:
    return Receipt(
        sno="osn",
        items=(
            ReceiptItem(
                name="Товар 1",
                quantity=1,
                sum=Decimal(100),
                payment_method="full_payment",
                payment_object="commodity",
                tax="none",
            ),
        ),
    )


# (id, base string, md5, sha256)
BASE_VECTORS = [
    ("V0", "test:5.12:5:securepass1", "d33ad746fefb057705993fc6662c5beb",
     "aa262afe1f949ab1f0d362fb43ae8249aeb929c2f7c74d5df5965ca20434c691"),
    ("V1", "demo:100.00:12345:password_1", "3d034693c02f0e1a04bc89f166b2c593",
     "03ebf2911a11156ffbb59007c805aee431b466cc9bfe0949c1c088fb0283c6d0"),
    ("V2", "demo:100.00::password_1", "f269c85a0fce9f4c3d68c30398dfdcd1",
     "9d5ac5d2d5d1880d0d8371202f0adfdfa60f24227e7ad5df72392175839b8a12"),
    ("V3", "demo:100.00:12345:password_1:Shp_login=Vasya:Shp_oplata=1",
     "8a36e35cc723c7435ba8c16a43c19f29",
     "2ac8c5f3f7089cbd4d7bffbc7060186c01dacc761a5000b84f12e942c411208f"),
    ("V4", "100.000000:450009:password_2:Shp_login=Vasya:Shp_oplata=1",
     "4adcef23deded52faef69a96efdf67e8",
     "025e4f4f5385f685e8b04a9fcf7021ff3084f89d0afbadd977b3609c09d31fc9"),
    ("V5", "100.000000:450009:password_1:Shp_login=Vasya:Shp_oplata=1",
     "4337ef9390631a594383e494ebafc569",
     "6f63271e02ea8bace29b14e84ac813c24f1be37005543fb896917a92b5e63ed4"),
    ("V9", "demo:100.00:12345:password_1", "3d034693c02f0e1a04bc89f166b2c593",
     "03ebf2911a11156ffbb59007c805aee431b466cc9bfe0949c1c088fb0283c6d0"),
    ("V10", "demo::12345:password_1", "ea9978e1047ba56782c6b1e7edea0729",
     "0f091e4cf334211c556f337a7a7cac30272dd498d8584fafc5483ed549c43afa"),
    ("V11", "demo:12345:password_2", "4c59293c7b4a23ebc41407f9fb522979",
     "547c9279bb8da4af00e2dda7a577af94d5a6d4f8d1a2d33f1e8000ace405e056"),
    ("V12", "demo:100.00:12346:password_1", "c7cd1cc98cdad4f2ff0c4a8470aa3010",
     "0638e9017a2698a6afb2e9b2f88c460ea8dc5bff4f2532deddffdc2146b69485"),
    ("V13", "demo:100.00:12345:https://example.com/ok:GET:password_1",
     "92248b4e042de225e52a0241aacd4f10",
     "fa2031aed8c096bc5efca8922b0ebdf851a064b8128de211b2e09f0362a7b1c1"),
    ("V6a", f"demo:100.00:12345:{RECEIPT_R}:password_1", "086609205fba2d25217f968eba0978d8",
     "0d9100f6a0bc4a80bb2bebbcbff19cc0d81d86aa35628653e045e0fe8ab50ab2"),
    ("V6b", f"demo:100.00:12345:{RECEIPT_JSON}:password_1", "c0864b78bcbb9d71764dc0662bc113e4",
     "5647ea36792ab6c76b1dc15ca8e7bd6201118987d4e1fcf9b6787a0131a0348c"),
    ("V6c", f"demo:100.00:12345:{RECEIPT_R}:password_1:Shp_order=25",
     "c33ffa943d4f9f322b77e68268a48bbb",
     "d1cf06f76015ad2b1ce51bb88ae31a7d581e95b9f7f1ea374b2b06fe98d93cd4"),
    ("V7", f"demo:100.00:12345:USD:127.0.0.1:{RECEIPT_R}:password_1:Shp_login=Vasya",
     "1b15abb049f426c2416b9d451ec4cec4",
     "221559bae36240eef33897fd8d243f986cdc0bfbd17d8f5eee9e3f967c288697"),
    ("V8", f"demo:100.00:12345:{RECEIPT_R}:true:password_1", "d8a39f778f90486fe5b0461e8579a136",
     "998cce72d70fd97740427d124fae06e53cbcd38684f1a7e133b59efb84348695"),
]  # fmt: skip


@pytest.mark.parametrize(("vector", "base", "md5", "sha256"), BASE_VECTORS)
def test_sign_reproduces_vector(vector, base, md5, sha256):
    # sign() joins with ":", so splitting on ":" and joining again is the identity for these.
    parts = base.split(":")
    assert sign(parts, "md5") == md5
    assert sign(parts, "sha256") == sha256


V1_OTHER_ALGORITHMS = {
    "sha1": "b287c7467e0002f2449bde924f593b1fdac9d801",
    "ripemd160": "1fa610f52eb90d25bd826f8cb22202e868d9d205",
    "sha384": "5f87d96a19d9123f73067aa52fba40dc6cb45e28b8a886bf4955125ed8f8ebc3"
              "e56864208644e7b7e258e82d70b350a7",
    "sha512": "fe1a60407d28fc279d62e5c44feda439e01e329ab25f748cdd07a88d19e52c14"
              "8d4f00682380cb8de04e3f59327dabb7d653fd14c7700e17016372c57b578991",
    "md5": "3d034693c02f0e1a04bc89f166b2c593",
    "sha256": "03ebf2911a11156ffbb59007c805aee431b466cc9bfe0949c1c088fb0283c6d0",
}  # fmt: skip


def test_every_algorithm_has_a_v1_vector():
    assert set(V1_OTHER_ALGORITHMS) == set(HASH_ALGORITHMS)


@pytest.mark.parametrize(("algorithm", "expected"), sorted(V1_OTHER_ALGORITHMS.items()))
def test_v1_payment_signature_in_every_algorithm(algorithm, expected):
    assert payment_signature("demo", Decimal("100"), 12345, "password_1", algorithm=algorithm) == (
        expected
    )


@pytest.mark.parametrize(("algorithm", "index"), [("md5", 2), ("sha256", 3)])
def test_payment_signature_vectors(algorithm, index):
    row = {v[0]: v for v in BASE_VECTORS}

    def expect(name):
        return row[name][index]

    def sig(**kwargs):
        return payment_signature(algorithm=algorithm, **kwargs)

    assert sig(merchant_login="test", out_sum="5.12", inv_id=5, password1="securepass1") == expect(
        "V0"
    )
    assert sig(merchant_login="demo", out_sum=100, inv_id=None, password1="password_1") == expect(
        "V2"
    )
    common = {"merchant_login": "demo", "out_sum": Decimal("100.00"), "inv_id": 12345}
    assert sig(**common, password1="password_1", shp=SHP) == expect("V3")
    assert sig(**common, password1="password_1", shp={"login": "Vasya", "oplata": "1"}) == expect(
        "V3"
    )
    assert sig(**common, password1="password_1", receipt=vector_receipt()) == expect("V6a")
    assert sig(**common, password1="password_1", receipt=RECEIPT_R) == expect("V6a")
    assert sig(
        **common, password1="password_1", receipt=vector_receipt(), shp={"order": "25"}
    ) == expect("V6c")
    assert sig(
        **common,
        password1="password_1",
        out_sum_currency="USD",
        user_ip="127.0.0.1",
        receipt=vector_receipt(),
        shp={"Shp_login": "Vasya"},
    ) == expect("V7")
    assert sig(
        **common, password1="password_1", receipt=vector_receipt(), step_by_step=True
    ) == expect("V8")
    assert sig(
        **common,
        password1="password_1",
        success_url2="https://example.com/ok",
        success_url2_method="GET",
    ) == expect("V13")


@pytest.mark.parametrize(("algorithm", "index"), [("md5", 2), ("sha256", 3)])
def test_callback_and_opstate_signature_vectors(algorithm, index):
    row = {v[0]: v for v in BASE_VECTORS}
    assert (
        result_signature("100.000000", 450009, "password_2", shp=SHP, algorithm=algorithm)
        == (row["V4"][index])
    )
    assert (
        success_signature("100.000000", 450009, "password_1", shp=SHP, algorithm=algorithm)
        == (row["V5"][index])
    )
    assert opstate_signature("demo", 12345, "password_2", algorithm=algorithm) == row["V11"][index]


def test_receipt_vector_json_and_encoding():
    receipt = vector_receipt()
    assert receipt.to_json() == RECEIPT_JSON
    assert encode_receipt(receipt) == RECEIPT_R


def test_v14_split_signature_has_no_separator():
    invoice = (
        '{"outAmount":100,"merchant":{"id":"demo"},'
        '"splitMerchants":[{"id":"demo","InvoiceId":1,"amount":100}]}'
    )
    assert sign([invoice + "password_1"], "md5") == "189327bb2f2fc747ed98bba56877dd98"
    assert sign([invoice + "password_1"], "sha256") == (
        "76af849b3859079c34d55896b33f69020ab132e743442a6ef03182220666e04d"
    )


def test_v15_refund_token():
    token = refund_token({"OpKey": "TEST-OPKEY", "RefundSum": Decimal("10.5")}, "password_3")
    assert token == (
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJPcEtleSI6IlRFU1QtT1BLRVkiLCJSZWZ1bmRTdW0iOjEwLjV9"
        "._he3ylpKgpJFDeffBz8UhwCb_rFU63RQ5Tv2tB31w8c"
    )


def test_v16_invoice_api_token():
    """V16 in the vendor's header order (reference §11.8: the corrected V16)."""
    payload = {
        "MerchantLogin": "demo",
        "InvoiceType": "OneTime",
        "Culture": "ru",
        "InvId": 12345,
        "OutSum": Decimal(100),
        "Description": "Test",
    }
    token = invoice_api_token(payload, "demo", "password_1", "md5")
    assert token == (
        "eyJhbGciOiJNRDUiLCJ0eXAiOiJKV1QifQ.eyJNZXJjaGFudExvZ2luIjoiZGVtbyIsIkludm9pY2VUeXBlIjoiT25lV"
        "GltZSIsIkN1bHR1cmUiOiJydSIsIkludklkIjoxMjM0NSwiT3V0U3VtIjoxMDAsIkRlc2NyaXB0aW9uIjoiVGVzdCJ9"
        ".Zmw_S_PH1yeqdrO-tWTXDw"
    )


def test_sign_is_hashlib_over_utf8():
    assert sign(["Товар", "1"], "sha1") == hashlib.sha1("Товар:1".encode()).hexdigest()  # noqa: S324
