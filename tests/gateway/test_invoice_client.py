"""The Invoice API client against local servers: what it sends (the vendor's body, signed with
the right pair), what each answer means, and that an answer is never guessed."""

import base64
import json
import socket
from datetime import date
from decimal import Decimal

import pytest

from tests.hostile import answer
from wagtail_robokassa.gateway import invoices
from wagtail_robokassa.protocol import verify_invoice_api_token
from wagtail_robokassa.protocol.invoice_api import ALG_NAMES, InvoiceState, InvoiceType
from wagtail_robokassa.services.config import get_config

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(settings, hostile):
    """``api(status, body)`` points the client at a server that answers so."""

    def start(status, body):
        server = hostile(answer(status, json.dumps(body).encode()))
        settings.ROBOKASSA_INVOICE_API_URL = server.url + "/InvoiceServiceWebApi/api"
        return server

    return start


def sent(server):
    """Path, headers and the token of the one request the server heard."""
    (request,) = server.requests
    head, _, body = request.partition(b"\r\n\r\n")
    return head.split(b" ")[1].decode(), head.decode().lower(), json.loads(body)


def create(**kwargs):
    fields = {"inv_id": 7, "out_sum": Decimal("1500.00"), "description": "Consultation"}
    return invoices.create_link(get_config(), **(fields | kwargs))


def test_a_link_is_created_with_the_vendors_request(api):
    server = api(
        200,
        {
            "isSuccess": True,
            "url": "https://auth.robokassa.ru/merchant/Invoice/AbC_12-x",
            "id": "0b7c",
            "invId": 7,
        },
    )
    link = create(user_fields={"Shp_payment_link": "k1"})
    assert link.url == "https://auth.robokassa.ru/merchant/Invoice/AbC_12-x"
    assert (link.encoded_id, link.invoice_id, link.inv_id) == ("AbC_12-x", "0b7c", 7)
    path, head, token = sent(server)
    assert path == "/InvoiceServiceWebApi/api/CreateInvoice"
    assert "content-type: application/json" in head
    payload = verify_invoice_api_token(token, "demo", "live-password-1")
    assert payload["InvId"] == 7
    assert payload["OutSum"] == 1500
    assert payload["UserFields"] == {"Shp_payment_link": "k1"}
    assert "AdditionalParameters" not in payload


def test_a_test_link_is_signed_with_the_test_pair_and_says_so(api):
    server = api(200, {"isSuccess": True, "url": "https://auth.robokassa.ru/merchant/Invoice/x"})
    create(is_test=True)
    token = sent(server)[2]
    with pytest.raises(ValueError, match="signature"):
        verify_invoice_api_token(token, "demo", "live-password-1")
    payload = verify_invoice_api_token(token, "demo", "test-password-1")
    assert payload["AdditionalParameters"] == {"IsTest": "1"}


@pytest.mark.parametrize("algorithm", ["md5", "ripemd160", "sha1", "sha256", "sha384", "sha512"])
def test_the_shops_algorithm_signs(api, settings, algorithm):
    settings.ROBOKASSA_HASH_ALGORITHM = algorithm
    server = api(200, {"isSuccess": True, "url": "https://auth.robokassa.ru/merchant/Invoice/x"})
    create()
    token = sent(server)[2]
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": ALG_NAMES[algorithm][0], "typ": "JWT"}
    assert verify_invoice_api_token(token, "demo", "live-password-1")["InvId"] == 7


def test_a_refusal_carries_robokassas_words(api):
    api(200, {"isSuccess": False, "errorMessage": "Invoice with this InvId already exists"})
    with pytest.raises(invoices.InvoiceRefused, match="already exists") as refused:
        create()
    assert refused.value.robokassa_message == "Invoice with this InvId already exists"


def test_a_refusal_without_words_is_still_a_refusal(api):
    api(400, {"isSuccess": False})
    with pytest.raises(invoices.InvoiceRefused, match="refused the payment link"):
        create()


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {}),
        (200, {"isSuccess": True}),
        (200, {"isSuccess": "false", "url": 5}),
        (500, {"isSuccess": False, "errorMessage": "maintenance"}),
        (502, {"isSuccess": True, "url": "https://auth.robokassa.ru/merchant/Invoice/x"}),
        (200, []),
    ],
)
def test_an_answer_that_neither_creates_nor_refuses_is_uncertain(api, status, body):
    api(status, body)
    with pytest.raises(invoices.InvoiceUncertain, match="may have been created"):
        create()


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/merchant/Invoice/x",
        "javascript:alert(1)//auth.robokassa.ru",
        "https://user:pw@auth.robokassa.ru/merchant/Invoice/x",
        "https://auth.robokassa.ru.evil.example/x",
        "https://auth.robokassa.ru/merchant/Invoice/x\n<script>",
    ],
)
def test_a_link_that_does_not_lead_to_robokassa_is_not_kept(api, url):
    api(200, {"isSuccess": True, "url": url})
    with pytest.raises(invoices.InvoiceUncertain, match="does not lead to ROBOKASSA"):
        create()


def test_the_kazakh_host_and_the_configured_hosts_are_trusted(api):
    api(200, {"isSuccess": True, "url": "https://auth.robokassa.kz/merchant/Invoice/kz1"})
    assert create().encoded_id == "kz1"
    server = api(200, {"isSuccess": True, "url": "http://127.0.0.1/emulator/Merchant/Invoice/e1"})
    assert create().encoded_id == "e1"
    assert "127.0.0.1" in invoices.link_hosts()
    assert server.requests


def test_nothing_is_sent_without_the_password_of_the_mode(api, settings):
    server = api(200, {"isSuccess": True, "url": "https://auth.robokassa.ru/merchant/Invoice/x"})
    settings.ROBOKASSA_TEST_PASSWORD1 = ""
    with pytest.raises(invoices.InvoiceNotConfigured, match="Password #1"):
        create(is_test=True)
    assert server.requests == []


def test_an_unreachable_service_sent_nothing(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings.ROBOKASSA_INVOICE_API_URL = f"http://127.0.0.1:{port}/api"
    with pytest.raises(invoices.InvoiceNotSent, match="nothing was sent"):
        create()


def test_deactivation_names_the_link_by_its_encoded_id(api):
    server = api(200, {"isSuccess": True})
    invoices.deactivate_link(get_config(), encoded_id="AbC", invoice_id="0b7c")
    path, _, token = sent(server)
    assert path == "/InvoiceServiceWebApi/api/DeactivateInvoice"
    assert verify_invoice_api_token(token, "demo", "live-password-1") == {
        "MerchantLogin": "demo",
        "EncodedId": "AbC",
    }


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, {"isSuccess": False, "errorMessage": "not found"}, invoices.InvoiceRefused),
        (200, {}, invoices.InvoiceUncertain),
        (503, {"isSuccess": True}, invoices.InvoiceUncertain),
        (400, {"isSuccess": True}, invoices.InvoiceUncertain),
    ],
)
def test_deactivation_is_done_only_when_robokassa_says_so(api, status, body, error):
    api(status, body)
    with pytest.raises(error):
        invoices.deactivate_link(get_config(), encoded_id="AbC")


def test_the_list_is_asked_with_the_vendors_filters_and_read(api):
    server = api(
        200,
        {
            "isSuccess": True,
            "items": [
                {"invId": 7, "id": "0b7c", "encodedId": "AbC", "status": "paid", "outSum": 15},
                {"invId": "x", "status": "weird"},
            ],
        },
    )
    rows = invoices.list_links(
        get_config(),
        date_from=date(2026, 11, 1),
        date_to=date(2026, 12, 1),
        states=[InvoiceState.PAID],
        types=[InvoiceType.ONE_TIME],
    )
    assert rows[0].state is InvoiceState.PAID
    assert (rows[0].inv_id, rows[0].out_sum) == (7, Decimal(15))
    assert (rows[1].inv_id, rows[1].state) == (None, None)
    payload = verify_invoice_api_token(sent(server)[2], "demo", "live-password-1")
    assert payload["InvoiceStatuses"] == ["Paid"]
    assert payload["InvoiceTypes"] == ["OneTime"]
    assert payload["DateFrom"] == "2026-11-01"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"isSuccess": False, "errorMessage": "bad dates"}, invoices.InvoiceRefused),
        ({"isSuccess": True}, invoices.InvoiceUncertain),
        ({"isSuccess": False, "items": []}, invoices.InvoiceRefused),
    ],
)
def test_a_list_that_cannot_be_read_is_not_an_empty_list(api, body, error):
    api(200, body)
    with pytest.raises(error):
        invoices.list_links(get_config(), date_from=date(2026, 1, 1), date_to=date(2026, 2, 1))
