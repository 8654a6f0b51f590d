"""ResultUrl2 through the real view: verified, recorded once beside the Result URL's
notification, and refused (4xx, recorded, diagnosed) when anything is off."""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.helpers import LOGIN, make_invoice, result_params
from tests.holds.conftest import deliver, token
from wagtail_robokassa.models import (
    InvoiceStatus,
    NotificationSource,
    RejectedRequest,
    StateNotification,
    SuccessNotification,
)
from wagtail_robokassa.protocol.jws import b64url

pytestmark = pytest.mark.django_db


def refused(response, reason, status=400):
    assert response.status_code == status, response.content
    assert not response.content.startswith(b"OK")
    rejection = RejectedRequest.objects.get()
    assert rejection.endpoint == "result2"
    assert rejection.reason == reason
    assert StateNotification.objects.count() == 0
    return rejection


def test_the_url_name():
    assert reverse("robokassa_result2") == "/robokassa/result2/"


def test_a_hold_puts_the_payment_on_hold_once(client, held_log):
    invoice = make_invoice("100.00", hold=True)
    sent = timezone.now() - timedelta(minutes=1)
    response = deliver(client, token(invoice, "HOLD", sent_at=sent))
    assert response.status_code == 200
    assert response.content == f"OK{invoice.pk}".encode()
    assert response["Cache-Control"].startswith("max-age=0")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.HELD
    assert invoice.held_at == sent.replace(microsecond=0)
    assert invoice.hold_expires_at == invoice.held_at + timedelta(days=7)
    notification = StateNotification.objects.get()
    assert (notification.state, notification.outcome, notification.op_key) == (
        "HOLD",
        "held",
        "OP-1",
    )
    assert notification.invoice == invoice
    assert notification.inc_sum == Decimal("100.00")
    assert notification.body_format == "compact"
    assert notification.certificate == "setting"
    assert len(held_log) == 1
    assert held_log[0]["invoice"].pk == invoice.pk
    assert held_log[0]["notification"] == notification
    assert SuccessNotification.objects.count() == 0  # a hold is not a payment


def test_a_repeat_is_counted_and_changes_nothing(client, held_log):
    invoice = make_invoice("100.00")
    body = token(invoice, "HOLD")
    assert deliver(client, body).status_code == 200
    again = deliver(client, body)
    assert again.status_code == 200
    assert again.content == f"OK{invoice.pk}".encode()
    notification = StateNotification.objects.get()
    assert notification.deliveries == 2
    assert notification.last_delivery_at is not None
    assert len(held_log) == 1


@pytest.mark.parametrize(
    "wrap",
    [
        lambda text: base64.b64encode(text.encode()).decode(),
        lambda text: json.dumps(text),
    ],
    ids=["base64", "json string"],
)
def test_a_wrapped_token_is_read_and_the_wrapping_kept(client, wrap):
    invoice = make_invoice("100.00")
    response = deliver(client, wrap(token(invoice)), content_type="text/plain")
    assert response.status_code == 200
    notification = StateNotification.objects.get()
    assert notification.body_format in ("base64", "json")


def test_ok_records_the_payment_through_the_exactly_once_write(client, results_log):
    invoice = make_invoice("100.00")
    response = deliver(client, token(invoice, "OK"))
    assert response.status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    payment = SuccessNotification.objects.get()
    assert payment.source == NotificationSource.RESULT_URL2
    assert payment.deliveries == 0
    assert payment.params["OpKey"] == "OP-1"
    assert len(results_log) == 1
    assert StateNotification.objects.get().outcome == "paid"
    # ROBOKASSA's own Result URL notification then is a first delivery, not a second payment.
    classic = client.post("/robokassa/result/", result_params(invoice.pk))
    assert classic.content == f"OK{invoice.pk}".encode()
    payment.refresh_from_db()
    assert payment.deliveries == 1
    assert len(results_log) == 1


def test_ok_after_the_result_url_changes_nothing(client, results_log):
    invoice = make_invoice("100.00")
    client.post("/robokassa/result/", result_params(invoice.pk))
    response = deliver(client, token(invoice, "OK"))
    assert response.status_code == 200
    assert StateNotification.objects.get().outcome == "already"
    assert SuccessNotification.objects.get().deliveries == 1
    assert len(results_log) == 1


def test_hold_then_ok_pays_the_held_payment(client, results_log):
    invoice = make_invoice("100.00")
    now = timezone.now()
    deliver(client, token(invoice, "HOLD", sent_at=now - timedelta(hours=1)))
    deliver(client, token(invoice, "OK", sent_at=now))
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert len(results_log) == 1


def test_an_older_notification_never_overrides_a_newer_one(client, held_log):
    invoice = make_invoice("100.00")
    now = timezone.now()
    deliver(client, token(invoice, "OK", sent_at=now))
    late_hold = deliver(client, token(invoice, "HOLD", sent_at=now - timedelta(hours=1)))
    assert late_hold.status_code == 200
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert StateNotification.objects.get(state="HOLD").outcome == "superseded"
    assert held_log == []


def test_the_docs_token_is_refused_with_the_bundled_certificate(client, settings):
    from tests.protocol.test_jws import DOCS_TOKEN

    del settings.ROBOKASSA_RESULT_URL2_CERTIFICATE
    rejection = refused(deliver(client, DOCS_TOKEN), "bad_signature")
    assert rejection.inv_id == 1234829
    assert "bad_signature" in rejection.detail
    assert rejection.params["data.shop"] == "robo-demo-test"
    assert "signature" not in json.dumps(rejection.params).lower()


def test_the_emulators_token_for_a_live_payment_is_diagnosed(client, settings):
    """Live payments trust ROBOKASSA's certificate only: the emulator's key is named."""
    del settings.ROBOKASSA_RESULT_URL2_CERTIFICATE
    invoice = make_invoice("100.00")
    rejection = refused(deliver(client, token(invoice)), "bad_signature")
    assert rejection.diagnosis == "certificate=test"


def test_a_swapped_payload_is_refused(client):
    invoice = make_invoice("100.00")
    header, _payload, signature = token(invoice, "OK").split(".")
    _header, hold_payload, _signature = token(invoice, "HOLD").split(".")
    rejection = refused(deliver(client, f"{header}.{hold_payload}.{signature}"), "bad_signature")
    assert rejection.diagnosis == ""
    assert type(invoice).objects.get(pk=invoice.pk).status == InvoiceStatus.PENDING


def test_alg_none_is_refused_and_diagnosed(client):
    invoice = make_invoice("100.00")
    _header, payload, _signature = token(invoice).split(".")
    header = b64url(b'{"alg":"none","typ":"JWT"}')
    rejection = refused(deliver(client, f"{header}.{payload}."), "bad_signature")
    assert rejection.diagnosis == "alg=none;needed=RS256"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"sent_at": timezone.now() - timedelta(days=8)}, "stale"),
        ({"sent_at": timezone.now() + timedelta(hours=1)}, "stale"),
        ({"shop": "another-shop"}, "merchant_mismatch"),
    ],
    ids=["stale", "dated ahead", "another shop"],
)
def test_verified_tokens_that_break_a_rule_are_refused(client, changes, reason):
    invoice = make_invoice("100.00")
    refused(deliver(client, token(invoice, **changes)), reason)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING


def test_another_amount_is_refused_and_a_status_check_scheduled(client):
    invoice = make_invoice("100.00")
    refused(deliver(client, token(invoice, inc_sum="90.00")), "amount_mismatch", status=409)
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    assert invoice.next_check_at is not None


def test_an_unknown_invoice_is_404(client):
    refused(deliver(client, token(999_999)), "unknown_invoice", status=404)


def test_a_test_payment_needs_the_test_certificate(client, settings):
    del settings.ROBOKASSA_RESULT_URL2_TEST_CERTIFICATE
    invoice = make_invoice("100.00", is_test=True)
    refused(deliver(client, token(invoice)), "not_configured")


def test_a_test_payment_while_the_shop_is_live_is_refused(client, settings):
    invoice = make_invoice("100.00", is_test=True)
    refused(deliver(client, token(invoice)), "test_in_live")


def test_a_test_payment_verifies_with_the_test_certificate(client, settings):
    settings.ROBOKASSA_TEST_MODE = True
    del settings.ROBOKASSA_RESULT_URL2_CERTIFICATE  # ROBOKASSA's bundled one for live payments
    invoice = make_invoice("100.00", is_test=True)
    assert deliver(client, token(invoice)).status_code == 200
    assert StateNotification.objects.get().certificate == "test"
    assert StateNotification.objects.get().is_test


def test_an_unreadable_certificate_setting_is_a_site_failure(client, settings, tmp_path):
    settings.ROBOKASSA_RESULT_URL2_CERTIFICATE = str(tmp_path / "missing.pem")
    invoice = make_invoice("100.00")
    refused(deliver(client, token(invoice)), "not_configured", status=500)


@pytest.mark.parametrize(
    "body",
    [b"", b"OutSum=1&InvId=2", b"\x00\xff", b"a.b.c", "\ud800".encode("utf-8", "surrogatepass")],
    ids=["empty", "a form", "bytes", "not base64url", "a lone surrogate"],
)
def test_bodies_that_are_no_token_are_malformed(client, body):
    refused(deliver(client, body), "malformed")


def test_a_huge_body_is_refused_not_read(client):
    refused(deliver(client, b"a" * (3 * 1024 * 1024)), "malformed")


def test_only_post(client):
    response = client.get("/robokassa/result2/")
    assert response.status_code == 405
    assert RejectedRequest.objects.count() == 0


def test_a_receiver_that_raises_rolls_the_hold_back_and_asks_for_a_retry(client):
    from wagtail_robokassa.signals import payment_held

    def broken(sender, **kwargs):
        raise RuntimeError("the shop's own code failed")

    payment_held.connect(broken)
    try:
        invoice = make_invoice("100.00")
        response = deliver(client, token(invoice))
    finally:
        payment_held.disconnect(broken)
    assert response.status_code == 500
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING
    assert StateNotification.objects.count() == 0
    assert RejectedRequest.objects.get().reason == "handler_error"
    assert deliver(client, token(invoice)).status_code == 200  # ROBOKASSA's retry succeeds


def test_a_receiver_that_swallows_its_database_error_is_not_answered_ok(client):
    from django.db import connection

    from wagtail_robokassa.signals import payment_held

    def swallowing(sender, **kwargs):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT * FROM no_such_table")
        except Exception:  # the shop's own code, swallowing its error
            return

    payment_held.connect(swallowing)
    try:
        invoice = make_invoice("100.00")
        response = deliver(client, token(invoice))
    finally:
        payment_held.disconnect(swallowing)
    if connection.vendor == "postgresql":
        assert response.status_code == 500
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PENDING
    else:  # SQLite's transaction survives a failed statement: the hold is committed
        assert response.status_code == 200
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.HELD


def test_login_in_the_token_is_the_shops(client):
    assert LOGIN == "demo"
