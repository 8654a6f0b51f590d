"""Each client of ROBOKASSA's services against the hostile servers: every call returns within
its deadline, with the typed outcome its operation needs (a refund or receipt that may have
arrived is uncertain, never refused or "not sent"), and a redirect's target hears nothing."""

from datetime import date
from decimal import Decimal

import pytest

from tests.hostile import (
    Stopwatch,
    answer,
    corrupt_gzip,
    cut_off,
    drip,
    huge_json,
    nested_json,
    redirect,
    retry_after,
    silent_after_headers,
)
from wagtail_robokassa.gateway import fiscal, holds, invoices, recurring, refunds, status
from wagtail_robokassa.services import certificates
from wagtail_robokassa.services.config import get_config

DEADLINE = 1.5
SLACK = 0.6
REQUEST_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def check_status():
    return status.check_status(get_config(), 7, is_test=True)


def create_refund():
    return refunds.create_refund(get_config(), "OPKEY", Decimal("10.00"))


def refund_state():
    return refunds.refund_state(REQUEST_ID)


def attach_receipt():
    return fiscal.attach_receipt(get_config(), {"id": 1}, is_test=True)


def receipt_status():
    return fiscal.receipt_status(get_config(), 1, is_test=True)


def create_link():
    return invoices.create_link(get_config(), inv_id=7, out_sum=Decimal("10.00"), is_test=True)


def deactivate_link():
    return invoices.deactivate_link(get_config(), encoded_id="abc", is_test=True)


def list_links():
    return invoices.list_links(
        get_config(), date_from=date(2026, 1, 1), date_to=date(2026, 2, 1), is_test=True
    )


def send_renewal():
    return recurring.send_renewal(
        get_config(), inv_id=8, previous_inv_id=7, out_sum=Decimal("990.00"), is_test=True
    )


def charge_hold():
    return holds.send_hold_action(
        get_config(), holds.CONFIRM, inv_id=7, out_sum=Decimal("90.00"), is_test=True
    )


def release_hold():
    return holds.send_hold_action(
        get_config(), holds.CANCEL, inv_id=7, out_sum=Decimal("100.00"), is_test=True
    )


def refresh_certificate():
    return certificates.refresh_certificate()


#: Each call and the error that says "nothing is known" for it.
CALLS = {
    "status": (check_status, status.StatusCheckError),
    "refund-create": (create_refund, refunds.RefundUncertain),
    "refund-state": (refund_state, refunds.RefundUncertain),
    "receipt-attach": (attach_receipt, fiscal.ReceiptUncertain),
    "receipt-status": (receipt_status, fiscal.ReceiptUncertain),
    "link-create": (create_link, invoices.InvoiceUncertain),
    "link-deactivate": (deactivate_link, invoices.InvoiceUncertain),
    "link-list": (list_links, invoices.InvoiceUncertain),
    "renewal": (send_renewal, recurring.ChargeUncertain),
    "hold-charge": (charge_hold, holds.HoldActionUncertain),
    "hold-release": (release_hold, holds.HoldActionUncertain),
    "certificate": (refresh_certificate, certificates.RefreshFailed),
}

FAULTS = {
    "cut-off": cut_off(),
    "corrupt-gzip": corrupt_gzip(),
    "silent": silent_after_headers(),
    "drip": drip(),
    "retry-after-3600": retry_after(3600),
    "nested-json": nested_json(),
    "huge-json": huge_json(),
}


@pytest.fixture
def point_at(settings):
    settings.ROBOKASSA_TEST_MODE = True
    settings.ROBOKASSA_PASSWORD3 = "refund-password-3"
    settings.ROBOKASSA_INTERACTIVE_DEADLINE = DEADLINE

    def point(server):
        settings.ROBOKASSA_STATUS_URL = server.url + "/OpStateExt"
        settings.ROBOKASSA_REFUND_URL = server.url + "/RefundService"
        settings.ROBOKASSA_FISCAL_URL = server.url + "/RoboFiscal"
        settings.ROBOKASSA_INVOICE_API_URL = server.url + "/InvoiceServiceWebApi/api"
        settings.ROBOKASSA_RECURRING_URL = server.url + "/Merchant/Recurring"
        settings.ROBOKASSA_HOLD_URL = server.url + "/Merchant/Payment"
        settings.ROBOKASSA_RESULT_URL2_CERTIFICATE_URL = server.url + "/jwtsign.cer"
        settings.ROBOKASSA_BACKGROUND_DEADLINE = DEADLINE

    return point


@pytest.mark.django_db
@pytest.mark.parametrize("call", CALLS, ids=str)
@pytest.mark.parametrize("fault", FAULTS, ids=str)
def test_a_hostile_answer_ends_in_a_known_state_within_the_deadline(hostile, point_at, call, fault):
    function, error = CALLS[call]
    point_at(hostile(FAULTS[fault]))
    with Stopwatch() as watch, pytest.raises(error):
        function()
    assert watch.seconds < DEADLINE + SLACK


@pytest.mark.django_db
@pytest.mark.parametrize("call", CALLS, ids=str)
@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_a_redirect_sends_nothing_elsewhere(hostile, point_at, call, code):
    function, error = CALLS[call]
    elsewhere = hostile(
        answer(200, b'{"success": true, "requestId": "' + REQUEST_ID.encode() + b'"}')
    )
    server = hostile(redirect(code, elsewhere.url + "/steal"))
    point_at(server)
    with pytest.raises(error):
        function()
    assert elsewhere.requests == []
    assert len(server.requests) == 1


@pytest.mark.django_db
@pytest.mark.django_db
@pytest.mark.parametrize("body", [b"{}", b'{"result": 1}', b'{"success": "false"}'])
def test_an_answer_that_neither_accepts_nor_refuses_is_uncertain(hostile, point_at, body):
    point_at(hostile(answer(200, body)))
    with pytest.raises(refunds.RefundUncertain):
        create_refund()


def test_accepted_without_a_request_id_is_uncertain(hostile, point_at):
    for body in (
        b'{"success": true}',
        b'{"success": true, "requestId": 5}',
        b'{"success": true, "requestId": "nope"}',
    ):
        point_at(hostile(answer(200, body)))
        with pytest.raises(refunds.RefundUncertain, match="may have been accepted"):
            create_refund()


@pytest.mark.django_db
def test_a_refusal_is_still_a_refusal(hostile, point_at):
    point_at(hostile(answer(400, b'{"success": false, "message": "NotEnoughOperationFunds"}')))
    with pytest.raises(refunds.RefundRefused, match="not enough funds"):
        create_refund()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status_code", "body", "outcome"),
    [
        (200, b"OK8", None),
        (200, b"ok+8\r\n", None),
        (200, b"Recurring error", recurring.ChargeRefused),
        (200, b"OK9", recurring.ChargeUncertain),
        (200, b"<html><body>Recurring error</body></html>", recurring.ChargeUncertain),
        (200, b'{"error": "Recurring error"}', recurring.ChargeUncertain),
        (200, b"", recurring.ChargeUncertain),
        (200, b"x" * 400, recurring.ChargeUncertain),
        (400, b"Recurring error", recurring.ChargeUncertain),
        (502, b"Bad gateway", recurring.ChargeUncertain),
    ],
)
def test_a_renewals_answer(hostile, point_at, status_code, body, outcome):
    server = hostile(answer(status_code, body))
    point_at(server)
    if outcome is None:
        send_renewal()
    else:
        with pytest.raises(outcome):
            send_renewal()
    assert len(server.requests) == 1  # never sent twice


@pytest.mark.django_db
def test_a_renewal_that_cannot_be_sent_is_not_sent(settings, point_at):
    settings.ROBOKASSA_RECURRING_URL = "http://127.0.0.1:9/Merchant/Recurring"
    with pytest.raises(recurring.ChargeNotSent) as refused:
        send_renewal()
    assert str(refused.value).count("could not be reached") <= 1


@pytest.mark.django_db
def test_a_test_renewal_never_goes_to_robokassa(settings):
    settings.ROBOKASSA_TEST_MODE = True
    if hasattr(settings, "ROBOKASSA_RECURRING_URL"):  # the sandbox's, under the test settings
        del settings.ROBOKASSA_RECURRING_URL
    with pytest.raises(recurring.ChargeNotSent, match="no test mode"):
        send_renewal()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("status_code", "body", "outcome"),
    [
        (200, b'"success: true"', None),
        (200, b'"success: false"', holds.HoldActionRefused),
        (200, b"success: true", holds.HoldActionUncertain),
        (200, b'{"success": true}', holds.HoldActionUncertain),
        (200, b"", holds.HoldActionUncertain),
        (400, b'"success: false"', holds.HoldActionUncertain),
        (500, b'"success: true"', holds.HoldActionUncertain),
    ],
)
def test_a_hold_actions_answer(hostile, point_at, status_code, body, outcome):
    server = hostile(answer(status_code, body))
    point_at(server)
    for action in (charge_hold, release_hold):
        if outcome is None:
            action()
        else:
            with pytest.raises(outcome):
                action()
    assert len(server.requests) == 2  # each sent once, never again
    charge, release = (request.decode() for request in server.requests)
    assert charge.startswith("POST /Merchant/Payment/Confirm ")
    assert release.startswith("POST /Merchant/Payment/Cancel ")
    assert "OutSum=90.00" in charge


@pytest.mark.django_db
def test_a_hold_action_that_cannot_be_sent_is_not_sent(settings, point_at):
    settings.ROBOKASSA_HOLD_URL = "http://127.0.0.1:9/Merchant/Payment"
    with pytest.raises(holds.HoldActionNotSent):
        charge_hold()


@pytest.mark.django_db
def test_a_test_hold_never_goes_to_robokassa(settings):
    settings.ROBOKASSA_TEST_MODE = True
    if hasattr(settings, "ROBOKASSA_HOLD_URL"):  # the sandbox's, under the test settings
        del settings.ROBOKASSA_HOLD_URL
    with pytest.raises(holds.HoldActionNotSent, match="no test mode"):
        charge_hold()
