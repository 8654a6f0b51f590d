"""The Result URL for payments made through links: a notification names its link by a signed
``Shp_payment_link``; a reusable link's later payments (InvIds ROBOKASSA chose) get their
invoice from the link; a notification that names a link and another payment's InvId is refused."""

from decimal import Decimal

import pytest

from tests.helpers import make_invoice, result_params
from wagtail_robokassa.models import (
    Invoice,
    InvoiceStatus,
    PaymentLink,
    PaymentLinkState,
    PaymentLinkType,
    RejectedRequest,
    SuccessNotification,
)
from wagtail_robokassa.protocol.invoice_api import LINK_PARAMETER

pytestmark = pytest.mark.django_db(transaction=True)

RESULT = "/robokassa/result/"


def link_with_invoice(invoice_type=PaymentLinkType.ONE_TIME, **fields):
    link = PaymentLink.objects.create(
        merchant_login="demo",
        is_test=True,
        invoice_type=invoice_type,
        state=PaymentLinkState.ACTIVE,
        amount=Decimal("300.00"),
        description="Deposit",
        **fields,
    )
    invoice = make_invoice(
        "300.00", is_test=True, payment_link=link, shp={LINK_PARAMETER: link.code}
    )
    link.inv_id = invoice.pk
    link.save()
    return link, invoice


def notify(client, inv_id, code, amount="300.000000", **extra_shp):
    shp = {LINK_PARAMETER: code, "shp_interface": "InvoiceService.WebApi", **extra_shp}
    return client.post(RESULT, result_params(inv_id, amount, shp=shp, is_test=True))


def test_a_one_time_link_is_paid_by_its_notification(client, settings):
    settings.ROBOKASSA_TEST_MODE = True
    link, invoice = link_with_invoice()
    response = notify(client, invoice.pk, link.code)
    assert response.content == f"OK{invoice.pk}".encode()
    link.refresh_from_db()
    assert link.state == PaymentLinkState.PAID
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID


@pytest.mark.parametrize(
    "letter_case", ["Shp_payment_link", "shp_payment_link", "SHP_PAYMENT_LINK"]
)
def test_the_marker_is_found_in_any_letter_case(client, settings, letter_case):
    settings.ROBOKASSA_TEST_MODE = True
    link, _invoice = link_with_invoice(PaymentLinkType.REUSABLE)
    params = result_params(9_000_001, "300.000000", shp={letter_case: link.code}, is_test=True)
    assert client.post(RESULT, params).content == b"OK9000001"
    assert Invoice.objects.get(pk=9_000_001).payment_link == link


def test_a_reusable_links_later_payment_gets_its_invoice_from_the_link(client, settings):
    settings.ROBOKASSA_TEST_MODE = True
    settings.ROBOKASSA_REQUIRE_INVOICE = True  # the invoice exists by the time it is recorded
    link, _invoice = link_with_invoice(PaymentLinkType.REUSABLE)
    response = notify(client, 2_000_000_001, link.code)
    assert response.content == b"OK2000000001"
    later = Invoice.objects.get(pk=2_000_000_001)
    assert (later.payment_link, later.status, later.amount, later.is_test) == (
        link,
        InvoiceStatus.PAID,
        Decimal("300.00"),
        True,
    )
    link.refresh_from_db()
    assert link.state == PaymentLinkState.ACTIVE  # reusable: still open
    assert link.paid_at is not None


def test_a_later_payment_of_another_amount_is_refused(client, settings):
    settings.ROBOKASSA_TEST_MODE = True
    link, _invoice = link_with_invoice(PaymentLinkType.REUSABLE)
    response = notify(client, 2_000_000_002, link.code, amount="1.000000")
    assert response.status_code == 400
    assert not SuccessNotification.objects.exists()


def test_a_one_time_links_marker_on_another_inv_id_is_refused(client, settings):
    settings.ROBOKASSA_TEST_MODE = True
    link, _invoice = link_with_invoice()
    response = notify(client, 7_777_777, link.code)
    assert response.status_code == 409
    assert RejectedRequest.objects.get().reason == "link_mismatch"
    assert not Invoice.objects.filter(pk=7_777_777).exists()
    assert not SuccessNotification.objects.exists()


def test_a_marker_that_names_another_payments_invoice_is_refused(client, settings):
    settings.ROBOKASSA_TEST_MODE = True
    link, _invoice = link_with_invoice(PaymentLinkType.REUSABLE)
    other = make_invoice("300.00", is_test=True)
    response = notify(client, other.pk, link.code)
    assert response.status_code == 409
    assert Invoice.objects.get(pk=other.pk).status == InvoiceStatus.PENDING
    assert Invoice.objects.get(pk=other.pk).payment_link is None


def test_an_unknown_marker_is_an_ordinary_user_parameter(client, settings):
    settings.ROBOKASSA_TEST_MODE = True
    invoice = make_invoice("300.00", is_test=True)
    response = notify(client, invoice.pk, "no-such-link")
    assert response.content == f"OK{invoice.pk}".encode()
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID


def test_a_link_payment_without_the_marker_still_marks_the_link(client, settings):
    """Whether ROBOKASSA hands UserFields back is the vendor's business: the invoice knows."""
    settings.ROBOKASSA_TEST_MODE = True
    link, invoice = link_with_invoice()
    response = client.post(RESULT, result_params(invoice.pk, "300.000000", is_test=True))
    assert response.content == f"OK{invoice.pk}".encode()
    link.refresh_from_db()
    assert link.state == PaymentLinkState.PAID


def test_a_forged_marker_without_the_signature_changes_nothing(client, settings):
    settings.ROBOKASSA_TEST_MODE = True
    link, _invoice = link_with_invoice(PaymentLinkType.REUSABLE)
    params = result_params(2_000_000_003, "300.000000", is_test=True)
    params[LINK_PARAMETER] = link.code  # added after signing
    assert client.post(RESULT, params).status_code == 400
    assert not Invoice.objects.filter(pk=2_000_000_003).exists()


@pytest.mark.parametrize("code", ["\x00", "ёж", "x" * 5000, "' OR 1=1 --"])
def test_odd_markers_are_refused_or_ignored_never_a_500(client, settings, code):
    settings.ROBOKASSA_TEST_MODE = True
    invoice = make_invoice("300.00", is_test=True)
    response = notify(client, invoice.pk, code)
    assert response.status_code in (200, 400)
    paid = Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID
    assert paid == (response.status_code == 200)


def test_money_for_a_link_closed_meanwhile_is_still_recorded(client, settings):
    """Deactivated while the customer was paying: the payment is real, and it is kept."""
    settings.ROBOKASSA_TEST_MODE = True
    link, invoice = link_with_invoice()
    PaymentLink.objects.filter(pk=link.pk).update(state=PaymentLinkState.DEACTIVATED)
    Invoice.objects.filter(pk=invoice.pk).update(status=InvoiceStatus.CANCELLED)
    response = notify(client, invoice.pk, link.code)
    assert response.content == f"OK{invoice.pk}".encode()
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID
    assert PaymentLink.objects.get(pk=link.pk).state == PaymentLinkState.PAID
