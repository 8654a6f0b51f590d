"""Every admin button that calls ROBOKASSA, against a ROBOKASSA that misbehaves: never a 5xx,
always a message that says what is known, never a password, and each within the interactive
deadline."""

import time
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from tests import hostile as faults
from tests.admin.conftest import make_user
from tests.helpers import make_invoice
from tests.receipts.test_final_receipts import PREPAID
from tests.wagtail.test_settings_admin import form_data
from wagtail_robokassa.models import InvoiceStatus, Refund, RefundState, RobokassaSettings

DEADLINE = 1.0
FAULTS = {
    "cut-off": faults.cut_off(),
    "corrupt-gzip": faults.corrupt_gzip(),
    "drip": faults.drip(),
    "redirect": faults.redirect(307, "http://127.0.0.1:9/"),
    "retry-after": faults.retry_after(3600),
    "nested-json": faults.nested_json(),
}
PASSWORD3 = "refund-password-3-secret"


@pytest.fixture
def staff(client, db, settings, hostile):
    settings.ROBOKASSA_TEST_MODE = True
    settings.ROBOKASSA_PASSWORD3 = PASSWORD3
    settings.ROBOKASSA_INTERACTIVE_DEADLINE = DEADLINE
    client.force_login(
        make_user(
            "staff",
            "view_invoice",
            "check_invoice",
            "refund_invoice",
            "send_final_receipt_invoice",
        )
    )

    def point(fault):
        server = hostile(FAULTS[fault])
        settings.ROBOKASSA_STATUS_URL = server.url + "/OpStateExt"
        settings.ROBOKASSA_REFUND_URL = server.url + "/RefundService"
        settings.ROBOKASSA_FISCAL_URL = server.url + "/RoboFiscal"

    client.point = point
    return client


def paid_invoice(**fields):
    fields = {"status": InvoiceStatus.PAID, **fields}
    return make_invoice("990.50", is_test=True, email="b@example.com", **fields)


def pressed(client, url, data=None):
    started = time.monotonic()
    response = client.post(url, data or {})
    seconds = time.monotonic() - started
    assert response.status_code in (200, 302), response.status_code
    said = [str(message) for message in get_messages(response.wsgi_request)]
    for text in said:
        assert PASSWORD3 not in text
        assert "Traceback" not in text
    return response, said, seconds


@pytest.mark.parametrize("fault", FAULTS)
def test_check_status(staff, fault):
    staff.point(fault)
    invoice = paid_invoice(status=InvoiceStatus.PENDING)
    _, said, seconds = pressed(staff, f"/admin/robokassa_payments/check/{invoice.pk}/")
    assert said
    assert "Status check of" in said[0]
    assert seconds < 3 * DEADLINE  # one deadline per call: a sweep's is its own
    invoice.refresh_from_db()
    assert (invoice.status, invoice.last_check) == (InvoiceStatus.PENDING, "failed")


@pytest.mark.parametrize("fault", FAULTS)
def test_refund(staff, fault):
    staff.point(fault)
    invoice = paid_invoice()
    url = f"/admin/robokassa_payments/refund/{invoice.pk}/"
    key = "8f4c1f7e-8a3e-4a56-9f8e-0e4b1b4c1a11"
    _, said, seconds = pressed(staff, url, {"amount": "100.00", "key": key, "confirm": "1"})
    refund = Refund.objects.get()
    # ROBOKASSA could not tell the operation key: nothing was sent, the amount is released.
    assert refund.state == RefundState.FAILED
    assert "was not made" in said[0]
    assert seconds < 2 * DEADLINE + 1


@pytest.mark.parametrize("fault", FAULTS)
def test_refund_check_now(staff, fault):
    staff.point(fault)
    invoice = paid_invoice(refund_reserved=Decimal("10.00"))
    refund = Refund.objects.create(
        invoice=invoice,
        amount=Decimal("10.00"),
        state=RefundState.PROCESSING,
        request_id="3fa85f64-5717-4562-b3fc-2c963f66afa6",
    )
    _, said, _ = pressed(staff, f"/admin/robokassa_payments/refund-state/{refund.pk}/")
    assert "still processing" in said[0]
    refund.refresh_from_db()
    assert refund.state == RefundState.PROCESSING


@pytest.mark.parametrize("fault", FAULTS)
def test_final_receipt(staff, fault):
    staff.point(fault)
    invoice = paid_invoice(receipt=PREPAID)
    _, said, _ = pressed(staff, f"/admin/robokassa_payments/final-receipt/{invoice.pk}/")
    assert said
    from wagtail_robokassa.models import SecondReceipt

    assert SecondReceipt.objects.get().state == "unknown"  # it may have arrived: never resent


@pytest.mark.parametrize("fault", FAULTS)
def test_connection(staff, fault, default_site):
    staff.point(fault)
    from django.contrib.auth import get_user_model

    staff.force_login(get_user_model().objects.create_superuser("root2", "r@example.com", "pw"))
    RobokassaSettings.objects.create(site=default_site, login="demo", password2="p2")
    url = f"/admin/robokassa_settings_link/test-connection/{default_site.pk}/"
    response, said, _ = pressed(staff, url, form_data())
    assert response.status_code == 200
    verdicts = [text for text in said if "passwords:" in text]
    assert len(verdicts) == 2
