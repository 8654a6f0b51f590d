"""Shared pieces of the HTTP fuzzing: strategies, raw encoding, and the settings that let every
request reach the code under test (caps and rate limits raised, so that storage runs each time)."""

import os
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

#: Examples per endpoint: 200 by default, 2,000 in CI, 10,000 with ``make fuzz``.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "200"))
fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

KNOWN_NAMES = [
    "OutSum", "outsum", "OUTSUM", "InvId", "invid", "SignatureValue", "signaturevalue", "IsTest",
    "istest", "EMail", "Email", "Fee", "IncSum", "IncCurrLabel", "PaymentMethod", "Culture",
    "out_summ", "inv_id", "crc", "Shp_order", "shp_order", "SHPx", "Shp_", "shp", "token",
    "amount", "email", "MerchantLogin", "Description", "Receipt", "InvoiceID", "Signature",
]  # fmt: skip
#: Any code point, surrogates and control characters included.
ANY_CHAR = st.characters(codec=None, categories=None)
ODD_TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=40),
    st.sampled_from(["", "\x00", "1", "0", "-1", "1e9", "NaN", "100.00", "2147483648", "\ud800"]),
    st.text(ANY_CHAR, min_size=2040, max_size=3100),  # around the limits
    st.from_regex(r"[0-9]{1,12}(\.[0-9]{0,12})?", fullmatch=True),
)
NAMES = st.one_of(st.sampled_from(KNOWN_NAMES), st.text(ANY_CHAR, max_size=70))
PAIRS = st.lists(st.tuples(NAMES, ODD_TEXT), max_size=30)


def encode(pairs) -> bytes:
    """``application/x-www-form-urlencoded`` of arbitrary strings: unpaired surrogates go out as
    the (invalid UTF-8) bytes a broken client would send."""
    return b"&".join(
        quote_from_bytes(name.encode("utf-8", "surrogatepass")).encode()
        + b"="
        + quote_from_bytes(value.encode("utf-8", "surrogatepass")).encode()
        for name, value in pairs
    )


def send(client, method: str, path: str, pairs, **extra):
    body = encode(pairs)
    if method == "GET":
        return client.generic("GET", path, QUERY_STRING=body.decode("ascii"), **extra)
    return client.generic(
        method, path, body, content_type="application/x-www-form-urlencoded", **extra
    )


@pytest.fixture
def open_caps(settings):
    """Every refusal and visit is stored (so the storage code meets every odd byte)."""
    settings.ROBOKASSA_REJECTED_REQUESTS_PER_MINUTE = 10**9
    settings.ROBOKASSA_REJECTED_REQUESTS_PER_ADDRESS_PER_MINUTE = 10**9
    settings.ROBOKASSA_VISITS_PER_MINUTE = 10**9
    settings.ROBOKASSA_VISITS_PER_ADDRESS_PER_MINUTE = 10**9
    settings.ROBOKASSA_PAY_RATE_LIMIT = None
    return settings
