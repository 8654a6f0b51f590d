"""Property-based HTTP fuzzing of every public endpoint, on whichever database the suite runs.

Oracle: never a 5xx (no fault is injected here); every ``OK{InvId}`` has its notification; a
validly signed notification, whatever else it carries, is recorded exactly once.
"""

import itertools
from decimal import Decimal

import pytest
from django.test import Client
from hypothesis import example, given
from hypothesis import strategies as st

from tests.fuzz.conftest import ODD_TEXT, PAIRS, fuzz_settings, send
from tests.helpers import make_invoice, result_params, success_params
from wagtail_robokassa.models import Invoice, InvoiceStatus, SuccessNotification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("open_caps")]


# Settings are changed in fixtures, once per test: pytest-django's ``settings`` stacks one more
# override for every assignment, and thousands of examples would nest thousands of them.
@pytest.fixture
def test_shop(settings):
    """In test mode: live and test notifications are both accepted."""
    settings.ROBOKASSA_TEST_MODE = True


@pytest.fixture
def no_strict_check(settings):
    settings.ROBOKASSA_STRICT_CHECK = False


METHODS = st.sampled_from(["GET", "POST"])
ADDRESSES = st.sampled_from(["127.0.0.1", "185.59.216.65", "2001:db8::1", "::ffff:10.0.0.1"])


def assert_answered(response):
    assert response.status_code < 500, (response.status_code, response.content[:300])


def assert_ok_has_its_row(response):
    if response.status_code == 200:
        body = response.content.decode()
        assert body.startswith("OK"), body
        assert SuccessNotification.objects.filter(inv_id=int(body[2:])).exists()


@fuzz_settings
@given(method=METHODS, pairs=PAIRS, address=ADDRESSES)
def test_result_url_with_anything(method, pairs, address):
    response = send(Client(REMOTE_ADDR=address), method, "/robokassa/result/", pairs)
    assert_answered(response)
    assert_ok_has_its_row(response)


# Validly signed notifications, with arbitrary unsigned fields and Shp values.

_FIXED = {"outsum", "invid", "signaturevalue", "istest", "out_summ", "inv_id", "crc"}
VALID_CHAR = st.characters(codec="utf-8", categories=None)  # no unpaired surrogates
UNSIGNED_NAMES = st.one_of(
    st.sampled_from(["EMail", "Fee", "IncSum", "IncCurrLabel", "PaymentMethod", "Culture"]),
    st.text(VALID_CHAR, max_size=64),
).filter(lambda name: name.lower() not in _FIXED and not name.lower().startswith("shp"))
VALUES = st.one_of(st.text(VALID_CHAR, max_size=50), st.text(VALID_CHAR, max_size=2048))
# Names differ in more than letter case: the same name twice, in any case, is malformed.
SHP = st.lists(
    st.tuples(st.from_regex(r"Shp_[A-Za-z0-9_]{1,20}", fullmatch=True), VALUES),
    max_size=8,
    unique_by=lambda pair: pair[0].lower(),
).map(dict)
UNSIGNED = st.lists(
    st.tuples(UNSIGNED_NAMES, VALUES), max_size=12, unique_by=lambda p: p[0].lower()
)
AMOUNTS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2)
_numbers = itertools.count(1_000_000_000)


@fuzz_settings
@given(
    method=METHODS,
    amount=AMOUNTS,
    with_invoice=st.booleans(),
    is_test=st.booleans(),
    upper=st.booleans(),
    shp=SHP,
    unsigned=UNSIGNED,
    keys=st.randoms(use_true_random=False),
)
def test_a_validly_signed_notification_is_recorded_exactly_once(
    test_shop, method, amount, with_invoice, is_test, upper, shp, unsigned, keys
):
    invoice = make_invoice(f"{amount:.2f}", is_test=is_test) if with_invoice else None
    inv_id = invoice.pk if invoice else next(_numbers)
    params = result_params(inv_id, f"{amount:.6f}", shp=shp, is_test=is_test, upper=upper)
    pairs = [*params.items(), *unsigned]
    keys.shuffle(pairs)
    for delivery in (1, 2):
        response = send(Client(), method, "/robokassa/result/", pairs)
        assert response.status_code == 200, response.content
        assert response.content == f"OK{inv_id}".encode()
        notification = SuccessNotification.objects.get(inv_id=inv_id, is_test=is_test)
        assert notification.deliveries == delivery
    assert notification.out_sum == amount
    if with_invoice:
        assert Invoice.objects.get(pk=inv_id).status == InvoiceStatus.PAID


@fuzz_settings
@given(method=METHODS, pairs=PAIRS, address=ADDRESSES, url=st.sampled_from(["success", "fail"]))
def test_success_and_fail_pages_with_anything(method, pairs, address, url):
    assert_answered(send(Client(REMOTE_ADDR=address), method, f"/robokassa/{url}/", pairs))


@fuzz_settings
@given(method=METHODS, shp=SHP, unsigned=UNSIGNED, culture=ODD_TEXT)
def test_a_validly_signed_success_redirect_is_shown(
    no_strict_check, method, shp, unsigned, culture
):
    params = success_params(next(_numbers), "10.00", shp=shp)
    pairs = [*params.items(), *unsigned]
    response = send(Client(), method, "/robokassa/success/", pairs)
    assert response.status_code in (200, 400), response.content[:300]
    if not any(name.lower() == "culture" for name, _ in unsigned):
        response = send(Client(), method, "/robokassa/success/", [*pairs, ("Culture", culture)])
        assert_answered(response)


@pytest.fixture
def pay_token(client, settings):
    from wagtail.models import Site

    from tests.wagtail.conftest import payment_value, publish_shop_page
    from tests.wagtail.test_pay_flow import page_token

    home = Site.objects.get(is_default_site=True).root_page
    value = payment_value(buyer_chooses_amount=True, ask_email=True, amount=None)
    page = publish_shop_page(home, [("payment", value)])
    return page_token(client, page)


@fuzz_settings
@given(pairs=PAIRS, amount=ODD_TEXT, email=ODD_TEXT, with_token=st.booleans())
def test_pay_with_anything(pay_token, pairs, amount, email, with_token):
    fields = [("amount", amount), ("email", email), *pairs]
    if with_token:
        fields.insert(0, ("token", pay_token))
    before = Invoice.objects.count()
    response = send(Client(), "POST", "/robokassa/pay/", fields)
    assert_answered(response)
    created = Invoice.objects.count() - before
    assert created == (1 if response.status_code == 200 else 0)


@fuzz_settings
@given(
    method=METHODS,
    pairs=PAIRS,
    page=st.sampled_from(["Merchant/Index.aspx", "Merchant/WebService/Service.asmx/OpStateExt"]),
)
def test_emulator_pages_with_anything(test_shop, method, pairs, page):
    assert_answered(send(Client(), method, f"/emulator/{page}", pairs))


@fuzz_settings
@given(
    action=st.sampled_from(["Pay", "Decline"]),
    pk=st.integers(min_value=0, max_value=2**63 - 1),
    pairs=PAIRS,
    host=st.text(st.characters(codec="latin-1"), max_size=30),
)
def test_emulator_actions_with_anything(test_shop, action, pk, pairs, host):
    path = f"/emulator/Merchant/{action}/{pk}/"
    response = send(Client(), "POST", path, pairs, HTTP_HOST=host)
    assert_answered(response)


ENDPOINTS = [
    "/robokassa/result/",
    "/robokassa/result2/",
    "/robokassa/success/",
    "/robokassa/fail/",
    "/robokassa/pay/",
    "/emulator/Merchant/Index.aspx",
    "/emulator/Merchant/WebService/Service.asmx/OpStateExt",
    "/emulator/Merchant/Pay/1/",
    "/emulator/Merchant/Decline/1/",
    "/emulator/Merchant/Payment/Confirm",
    "/emulator/Merchant/Payment/Cancel",
]
CONTENT_TYPES = [
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=koi8-r",
    "application/x-www-form-urlencoded; charset=no-such-charset",
    "multipart/form-data; boundary=xyz",
    "multipart/form-data",
    "application/json",
    "text/plain",
    "",
]


@fuzz_settings
@given(
    path=st.sampled_from(ENDPOINTS),
    method=st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
    content_type=st.sampled_from(CONTENT_TYPES),
    body=st.one_of(st.binary(max_size=600), st.binary(min_size=3000, max_size=9000)),
    query=st.binary(max_size=300),
)
def test_every_endpoint_with_raw_bytes(test_shop, path, method, content_type, body, query):
    """Bodies and query strings as bytes, in any content type and method: never a 5xx. A WSGI
    server hands the query string over as latin-1 text of whatever bytes came."""
    response = Client().generic(
        method, path, body, content_type=content_type, QUERY_STRING=query.decode("latin-1")
    )
    assert_answered(response)
    if path == "/robokassa/result/":
        assert_ok_has_its_row(response)


# ResultUrl2: tokens signed with the trusted key whose fields hold anything.


@pytest.fixture
def trusted_key(settings):
    from wagtail_robokassa.contrib.emulator import jws as emulator_jws

    settings.ROBOKASSA_RESULT_URL2_CERTIFICATE = str(emulator_jws.CERTIFICATE_PATH)
    return emulator_jws.private_key()


JSON_VALUES = st.one_of(
    ODD_TEXT,
    st.integers(),
    st.floats(allow_nan=True),
    st.none(),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
)


@fuzz_settings
@given(
    fields=st.dictionaries(
        st.sampled_from(["shop", "opKey", "invId", "paymentMethod", "incSum", "state", "x"]),
        JSON_VALUES,
    ),
    header=st.dictionaries(st.sampled_from(["type", "version", "timestamp"]), JSON_VALUES),
)
@example(fields={}, header={"timestamp": "300000000000"})  # a date past the year 9999
def test_result_url2_with_signed_anything(trusted_key, fields, header):
    """A token that verifies, whatever its payload holds: never a 5xx, and an OK only with its
    recorded notification."""
    import json
    import time

    from wagtail_robokassa.models import StateNotification
    from wagtail_robokassa.protocol.jws import sign_rs256

    invoice = make_invoice("100.00")
    data = {"shop": "demo", "invId": str(invoice.pk), "opKey": "K", "incSum": "100.00"}
    data.update({"state": "HOLD", **fields})
    document = {
        "header": {
            "type": "PaymentStateNotification",
            "timestamp": str(int(time.time())),
            **header,
        },
        "data": data,
    }
    try:
        payload = json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass")
    except ValueError:
        return
    token = sign_rs256(payload, trusted_key)
    response = Client().generic(
        "POST", "/robokassa/result2/", token, content_type="application/json"
    )
    assert_answered(response)
    if response.status_code == 200:
        inv_id = int(response.content.decode()[2:])
        assert StateNotification.objects.filter(inv_id=inv_id).exists()
