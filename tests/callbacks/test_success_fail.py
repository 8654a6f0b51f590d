"""Success and Fail pages: verified for display, recorded, signalled; never a change of state."""

from decimal import Decimal

import pytest

from tests.helpers import make_invoice, result_params, success_params
from wagtail_robokassa.models import InvoiceStatus, PaymentVisit, RejectedRequest
from wagtail_robokassa.signals import success_page_visited

pytestmark = pytest.mark.django_db


def paid(client, invoice, **kwargs):
    response = client.post("/robokassa/result/", result_params(invoice.pk, **kwargs))
    assert response.status_code == 200


def test_success_page_after_the_result_notification(client, settings, success_log):
    settings.ROBOKASSA_EXTRA_PARAMS = ["order"]
    invoice = make_invoice("250.00", description="Книга")
    paid(client, invoice, out_sum="250.000000", shp={"Shp_order": "9"})
    params = success_params(invoice.pk, "250.000000", shp={"Shp_order": "9"})
    response = client.get("/robokassa/success/", {**params, "Culture": "ru"})
    assert response.status_code == 200
    assert response.templates[0].name == "wagtail_robokassa/success.html"
    assert response.context["InvId"] == invoice.pk
    assert response.context["OutSum"] == Decimal("250")
    assert response.context["order"] == "9"
    assert response.context["extra"] == {"order": "9"}
    assert response.context["invoice"] == invoice
    assert "Книга" in response.content.decode()
    visit = PaymentVisit.objects.get()
    assert (visit.kind, visit.signature_valid, visit.culture) == ("success", True, "ru")
    assert visit.extra == {"order": "9"}
    call = success_log.last
    assert call["sender"] is response.context["form"]
    assert (call["InvId"], call["OutSum"], call["extra"]) == (
        invoice.pk,
        Decimal(250),
        {"order": "9"},
    )
    assert call["visit"] == visit
    assert call["invoice"] == invoice


def test_success_in_russian(client):
    invoice = make_invoice()
    paid(client, invoice)
    response = client.get(
        "/robokassa/success/", success_params(invoice.pk), HTTP_ACCEPT_LANGUAGE="ru"
    )
    assert "Спасибо" in response.content.decode()


def test_strict_check_needs_the_result_notification(client, success_log):
    invoice = make_invoice()
    response = client.get("/robokassa/success/", success_params(invoice.pk))
    assert response.status_code == 400
    assert response.templates[0].name == "wagtail_robokassa/error.html"
    assert response.context["not_notified"] is True
    assert RejectedRequest.objects.get().reason == "not_notified"
    assert len(success_log) == 0
    assert PaymentVisit.objects.count() == 0


def test_strict_check_compares_the_amount(client, success_log):
    invoice = make_invoice()
    paid(client, invoice)
    response = client.get("/robokassa/success/", success_params(invoice.pk, "1.00"))
    assert response.status_code == 400
    assert len(success_log) == 0


def test_without_strict_check_the_signature_is_enough(client, settings, success_log):
    settings.ROBOKASSA_STRICT_CHECK = False
    response = client.post("/robokassa/success/", success_params(42, "10.00"))
    assert response.status_code == 200
    assert len(success_log) == 1


def test_success_never_changes_payment_state(client, settings):
    settings.ROBOKASSA_STRICT_CHECK = False
    invoice = make_invoice()
    assert client.get("/robokassa/success/", success_params(invoice.pk)).status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    assert invoice.notifications.count() == 0


@pytest.mark.parametrize(
    "params",
    [
        {"OutSum": "10.00", "InvId": "5", "SignatureValue": "0" * 32},
        {"OutSum": "10.00", "InvId": "5"},
        {},
    ],
    ids=["bad signature", "no signature", "empty"],
)
def test_bad_success_request_shows_the_error_page(client, success_log, params):
    response = client.get("/robokassa/success/", params)
    assert response.status_code == 400
    assert response.templates[0].name == "wagtail_robokassa/error.html"
    assert response.context["not_notified"] is False
    assert RejectedRequest.objects.get().endpoint == "success"
    assert len(success_log) == 0


def test_success_with_a_result_password_is_refused(client, settings):
    settings.ROBOKASSA_STRICT_CHECK = False
    from tests.helpers import LIVE_PASSWORD2

    response = client.get("/robokassa/success/", success_params(5, password=LIVE_PASSWORD2))
    assert response.status_code == 400


def test_fail_page_is_recorded_and_signalled(client, settings, fail_log):
    settings.ROBOKASSA_EXTRA_PARAMS = ["order"]
    invoice = make_invoice()
    response = client.post(
        "/robokassa/fail/",
        {"OutSum": "100.00", "InvId": str(invoice.pk), "Culture": "ru", "Shp_order": "3"},
    )
    assert response.status_code == 200
    assert response.templates[0].name == "wagtail_robokassa/fail.html"
    assert response.context["order"] == "3"
    visit = PaymentVisit.objects.get()
    assert (visit.kind, visit.signature_valid, visit.invoice) == ("fail", None, invoice)
    call = fail_log.last
    assert call["sender"] is response.context["form"]
    assert (call["InvId"], call["OutSum"], call["extra"]) == (
        invoice.pk,
        Decimal(100),
        {"order": "3"},
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING


def test_malformed_fail_request(client, fail_log):
    response = client.get("/robokassa/fail/", {"OutSum": "abc", "InvId": "1"})
    assert response.status_code == 400
    assert RejectedRequest.objects.get().endpoint == "fail"
    assert len(fail_log) == 0


def test_base_template_is_configurable(client, settings):
    settings.ROBOKASSA_BASE_TEMPLATE = "custom_base.html"
    response = client.get("/robokassa/fail/", {"OutSum": "1.00", "InvId": "1"})
    assert "custom-shop-layout" in response.content.decode()


def test_success_and_fail_accept_cross_site_posts(settings):
    from django.test import Client

    settings.ROBOKASSA_STRICT_CHECK = False
    client = Client(enforce_csrf_checks=True)
    assert client.post("/robokassa/success/", success_params(5)).status_code == 200
    assert client.post("/robokassa/fail/", {"OutSum": "1", "InvId": "5"}).status_code == 200


def test_receiver_of_success_sees_the_visit(client, settings):
    settings.ROBOKASSA_STRICT_CHECK = False
    seen = []

    def receiver(sender, **kwargs):
        seen.append(kwargs["visit"].pk)

    success_page_visited.connect(receiver)
    try:
        client.get("/robokassa/success/", success_params(5))
    finally:
        success_page_visited.disconnect(receiver)
    assert seen == [PaymentVisit.objects.get().pk]
