"""Requests an attacker, a confused shop or a buggy proxy sends: each is refused or recorded,
never a 500, never a payment lost or taken for another."""

import logging
from decimal import Decimal

import pytest
from django.test import Client

from tests.helpers import make_invoice, result_params, success_params
from tests.testapp.models import Order
from wagtail_robokassa.forms import RobokassaForm
from wagtail_robokassa.models import (
    Invoice,
    InvoiceStatus,
    PaymentVisit,
    RejectedRequest,
    RejectionOverflow,
    SuccessNotification,
)

pytestmark = pytest.mark.django_db
RESULT, SUCCESS, FAIL = "/robokassa/result/", "/robokassa/success/", "/robokassa/fail/"
NUL = "\x00"


# NUL bytes and other characters a database cannot store


@pytest.mark.parametrize("field", ["EMail", "Fee", "IncCurrLabel", "PaymentMethod", "IncSum", "X"])
def test_a_valid_notification_with_nul_in_an_unsigned_field_is_recorded(
    client, results_log, write_path, field
):
    invoice = make_invoice()
    params = result_params(invoice.pk, extra={field: f"a{NUL}b"})
    response = client.post(RESULT, params)
    assert response.content == f"OK{invoice.pk}".encode()
    notification = SuccessNotification.objects.get()
    assert notification.params[field] == "a\ufffdb"
    assert NUL not in str(notification.params)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert results_log.last["notification"].params[field] == "a\ufffdb"


def test_a_valid_notification_with_nul_in_a_signed_shp_value_is_recorded(client, results_log):
    invoice = make_invoice()
    params = result_params(invoice.pk, shp={"Shp_note": f"x{NUL}y"})
    assert client.post(RESULT, params).content == f"OK{invoice.pk}".encode()
    assert SuccessNotification.objects.get().shp == {"Shp_note": "x\ufffdy"}
    assert results_log.last["extra"] == {"note": f"x{NUL}y"}  # receivers get what was signed


def test_a_repeat_with_nul_is_still_the_same_payment(client):
    invoice = make_invoice()
    params = result_params(invoice.pk, extra={"EMail": f"a{NUL}@b.ru"})
    assert client.post(RESULT, params).status_code == 200
    assert client.post(RESULT, params).content == f"OK{invoice.pk}".encode()
    assert SuccessNotification.objects.get().deliveries == 2


def test_an_invalid_notification_with_nul_is_refused_and_stored(client):
    params = result_params(5, password="wrong", extra={"EMail": NUL, f"N{NUL}": NUL})
    response = client.post(RESULT, params)
    assert response.status_code == 400
    rejection = RejectedRequest.objects.get()
    assert rejection.reason == "bad_signature"
    assert rejection.params["EMail"] == "\ufffd"
    assert rejection.params["N\ufffd"] == "\ufffd"


def test_nul_in_a_refusals_detail_is_stored(client):
    response = client.post(
        RESULT, {"OutSum": "1", "InvId": "1", f"Shp{NUL}": "1", f"shp{NUL}": "2"}
    )
    assert response.status_code == 400
    assert NUL not in RejectedRequest.objects.get().detail


@pytest.mark.parametrize("url", [SUCCESS, FAIL])
def test_nul_in_culture_on_the_buyers_pages_is_a_4xx_page(client, settings, url):
    settings.ROBOKASSA_STRICT_CHECK = False
    params = {**success_params(5), "Culture": f"r{NUL}u"}
    response = client.get(url, params)
    assert response.status_code == 400
    assert response.templates[0].name == "wagtail_robokassa/error.html"
    assert RejectedRequest.objects.get().reason == "malformed"


# One InvId, two payments


def paid_through_robokassa_form(client, order_id: int, amount: str) -> None:
    """django-robokassa style: the shop's own order number, no Invoice."""
    Order.objects.create(id=order_id, name="order", total=Decimal(amount))
    form = RobokassaForm(initial={"OutSum": Decimal(amount), "InvId": order_id})
    assert dict(form.params)["InvId"] == str(order_id)
    response = client.post(RESULT, result_params(order_id, f"{amount}0000"))
    assert response.content == f"OK{order_id}".encode()


def test_an_invoice_reusing_a_number_paid_by_other_code_is_not_taken_as_a_repeat(
    client, results_log, write_path
):
    paid_through_robokassa_form(client, 41, "100.00")
    invoice = make_invoice("100.00", id=41)  # same number and amount: the worst case
    results_log.calls.clear()
    response = client.post(RESULT, result_params(invoice.pk))
    assert response.status_code == 409
    assert not response.content.startswith(b"OK")
    assert RejectedRequest.objects.get().reason == "different_payment"
    assert len(results_log) == 0
    assert SuccessNotification.objects.get().deliveries == 1


def test_a_repeat_with_another_amount_is_not_acknowledged(client, write_path):
    client.post(RESULT, result_params(42, "100.000000"))
    response = client.post(RESULT, result_params(42, "200.000000"))
    assert response.status_code == 409
    assert RejectedRequest.objects.get().detail.endswith("of 100.00000000")
    assert SuccessNotification.objects.get().deliveries == 1


def test_a_plain_repeat_is_still_acknowledged(client, write_path):
    invoice = make_invoice()
    params = result_params(invoice.pk)
    for _ in range(3):
        assert client.post(RESULT, params).content == f"OK{invoice.pk}".encode()
    assert SuccessNotification.objects.get().deliveries == 3


def test_a_deleted_invoice_keeps_its_repeats_acknowledged(client, write_path):
    invoice = make_invoice()
    params = result_params(invoice.pk)
    assert client.post(RESULT, params).status_code == 200
    Invoice.objects.filter(pk=invoice.pk).delete()
    assert client.post(RESULT, params).content == f"OK{invoice.pk}".encode()


# One merchant, another's invoice


def test_a_notification_signed_by_another_shop_does_not_pay_an_invoice(
    client, results_log, write_path
):
    # No Site: shop code made it, for another merchant of the same Django project.
    invoice = Invoice.objects.create(merchant_login="other-shop", amount=Decimal("100.00"))
    response = client.post(RESULT, result_params(invoice.pk))
    assert response.status_code == 400
    rejection = RejectedRequest.objects.get()
    assert rejection.reason == "merchant_mismatch"
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    assert SuccessNotification.objects.count() == 0
    assert len(results_log) == 0


# The Fail URL is unsigned: its parameters never choose what is rendered


def test_shp_parameters_cannot_choose_the_template_or_inject_html(client, settings):
    response = client.get(
        FAIL,
        {
            "OutSum": "1",
            "InvId": "1",
            "Shp_base_template": "wagtailadmin/base.html",
            "Shp_html": "<script>alert(1)</script>",
            "Shp_form": "x",
            "Shp_InvId": "<b>",
        },
    )
    assert response.status_code == 200
    assert response.context["base_template"] == "wagtail_robokassa/base.html"
    assert response.context["InvId"] == 1
    assert response.context["form"] != "x"
    assert "html" not in response.context  # not declared in ROBOKASSA_EXTRA_PARAMS
    assert response.context["extra"]["html"] == "<script>alert(1)</script>"
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert [t.name for t in response.templates][:2] == [
        "wagtail_robokassa/fail.html",
        "wagtail_robokassa/base.html",
    ]


def test_declared_parameters_are_in_the_context_but_reserved_names_win(client, settings):
    settings.ROBOKASSA_EXTRA_PARAMS = ["order", "base_template", "InvId"]
    response = client.get(
        FAIL,
        {"OutSum": "1", "InvId": "7", "Shp_order": "A-1", "Shp_base_template": "x.html",
         "Shp_InvId": "666"},
    )  # fmt: skip
    assert response.context["order"] == "A-1"
    assert response.context["base_template"] == "wagtail_robokassa/base.html"
    assert response.context["InvId"] == 7


# What anonymous requests can store


def test_fail_visits_are_capped_per_address(client, settings):
    settings.ROBOKASSA_VISITS_PER_ADDRESS_PER_MINUTE = 3
    for number in range(1, 6):
        response = client.get(FAIL, {"OutSum": "1", "InvId": str(number)})
        assert response.status_code == 200  # the buyer still sees the page
    assert PaymentVisit.objects.count() == 3
    assert RejectionOverflow.objects.get(kind="visit").count == 2
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.get(FAIL, {"OutSum": "1", "InvId": "9"}).status_code == 200
    assert PaymentVisit.objects.count() == 4  # another address is not crowded out


def test_stored_visit_parameters_are_capped(client, settings):
    settings.ROBOKASSA_VISITS_PER_ADDRESS_PER_MINUTE = 100
    params = {"OutSum": "1", "InvId": "1", **{f"p{i}": "v" * 2000 for i in range(90)}}
    assert client.post(FAIL, params).status_code == 200
    stored = PaymentVisit.objects.get().params
    assert len(stored) == 51  # 50 parameters and a note of how many there were
    assert stored["…"] == "50+ parameters"
    assert max(len(value) for value in stored.values()) <= 256


def test_replaying_a_success_link_stores_and_signals_once(client, settings, success_log):
    settings.ROBOKASSA_STRICT_CHECK = False
    params = success_params(5)
    for _ in range(4):
        assert client.get(SUCCESS, params).status_code == 200
    assert PaymentVisit.objects.count() == 1
    assert len(success_log) == 1


def test_rejections_are_capped_per_address(client, settings):
    settings.ROBOKASSA_REJECTED_REQUESTS_PER_ADDRESS_PER_MINUTE = 2
    flooder = Client(REMOTE_ADDR="203.0.113.9")
    for number in range(1, 6):
        assert flooder.post(RESULT, result_params(number, password="x")).status_code == 400
    robokassa = Client(REMOTE_ADDR="185.59.216.65")
    assert robokassa.post(RESULT, result_params(9, password="x")).status_code == 400
    addresses = list(RejectedRequest.objects.values_list("client_ip", flat=True))
    assert sorted(addresses) == ["185.59.216.65", "203.0.113.9", "203.0.113.9"]
    assert RejectionOverflow.objects.get(kind="rejected").count == 3


def test_rejections_from_one_ipv6_network_share_a_cap(client, settings):
    settings.ROBOKASSA_REJECTED_REQUESTS_PER_ADDRESS_PER_MINUTE = 2
    for host in range(1, 6):
        neighbour = Client(REMOTE_ADDR=f"2001:db8:1:2::{host:x}")
        neighbour.post(RESULT, result_params(host, password="x"))
    assert RejectedRequest.objects.count() == 2


# Log lines


def test_parameter_names_cannot_forge_log_lines(client, caplog):
    caplog.set_level(logging.WARNING)
    name = "Shp_x\nCRITICAL forged line\x1b[31m"
    client.post(RESULT, {"OutSum": "1", "InvId": "1", name: "1", name.upper(): "2"})
    messages = [record.getMessage() for record in caplog.records]
    assert messages
    for message in messages:
        assert "\n" not in message
        assert "\x1b" not in message
    assert any("\\n" in message for message in messages)
