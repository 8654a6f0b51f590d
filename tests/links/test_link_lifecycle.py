"""A payment link from creation to payment, over HTTP: the plugin asks the emulator's Invoice
API, a customer opens the link and pays, the emulator notifies the Result URL, and the link
follows. Every outcome of ROBOKASSA's answers is one the shop can act on."""

import json
import uuid
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from wagtail_robokassa.contrib.emulator.links import REUSED_INV_IDS
from wagtail_robokassa.contrib.emulator.models import (
    EmulatedInvoiceLink,
    EmulatedOperation,
    EmulatorSwitches,
    LinkOutcome,
)
from wagtail_robokassa.models import (
    Invoice,
    InvoiceStatus,
    PaymentLink,
    PaymentLinkState,
    PaymentLinkType,
    SuccessNotification,
)
from wagtail_robokassa.protocol import Receipt, ReceiptItem
from wagtail_robokassa.protocol.invoice_api import LINK_PARAMETER
from wagtail_robokassa.services.payment_links import (
    LinkRefusedHere,
    create_payment_link,
    deactivate_payment_link,
    expire_payment_links,
    refresh_payment_link,
)
from wagtail_robokassa.signals import payment_link_paid


def new_link(**fields):
    fields = {"amount": Decimal("1500.00"), "description": "Consultation"} | fields
    return create_payment_link(**fields)


def page_of(link):
    return urlsplit(link.url).path


def pay(client, link):
    """Open the link as the customer does and press Pay; the emulator's operation."""
    response = client.get(page_of(link))
    assert response.status_code == 200, response.content
    operation = EmulatedOperation.objects.filter(link__encoded_id=link.encoded_id).latest("pk")
    paid = client.post(f"/emulator/Merchant/Pay/{operation.pk}/")
    assert paid.status_code == 302, paid.content
    return operation


@pytest.fixture
def paid_signals():
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs)

    payment_link_paid.connect(receiver)
    yield received
    payment_link_paid.disconnect(receiver)


def test_a_link_is_created_at_robokassa_for_its_own_invoice(link_service, default_site):
    link = new_link(site=default_site, customer_email="client@example.com")
    assert link.state == PaymentLinkState.ACTIVE, link.message
    emulated = EmulatedInvoiceLink.objects.get()
    assert link.encoded_id == emulated.encoded_id
    assert link.robokassa_id == str(emulated.api_id)
    assert link.url.endswith(f"/emulator/Merchant/Invoice/{emulated.encoded_id}")
    invoice = Invoice.objects.get(pk=link.inv_id)
    assert (invoice.payment_link, invoice.status, invoice.amount) == (
        link,
        InvoiceStatus.PENDING,
        Decimal("1500.00"),
    )
    assert invoice.shp == {LINK_PARAMETER: link.code}
    assert emulated.inv_id == link.inv_id
    assert emulated.user_fields == {LINK_PARAMETER: link.code}
    assert emulated.out_sum == Decimal("1500.00")


@pytest.mark.parametrize("algorithm", ["md5", "ripemd160", "sha1", "sha256", "sha384", "sha512"])
def test_every_algorithm_of_the_shop_is_accepted(link_service, settings, algorithm):
    settings.ROBOKASSA_HASH_ALGORITHM = algorithm
    link = new_link()
    assert link.state == PaymentLinkState.ACTIVE, link.message


def test_a_one_time_link_is_paid_once(link_service, client, paid_signals):
    link = new_link()
    pay(client, link)
    link.refresh_from_db()
    assert link.state == PaymentLinkState.PAID
    assert link.paid_at is not None
    invoice = Invoice.objects.get(pk=link.inv_id)
    assert invoice.status == InvoiceStatus.PAID
    assert SuccessNotification.objects.filter(inv_id=link.inv_id).count() == 1
    (signal,) = paid_signals
    assert signal["link"] == link
    assert signal["invoice"].pk == link.inv_id
    assert signal["notification"].inv_id == link.inv_id
    assert signal["InvId"] == link.inv_id
    assert signal["OutSum"] == Decimal("1500.00")

    again = client.get(page_of(link))
    assert again.status_code == 409
    assert "52" in again.content.decode()
    assert EmulatedOperation.objects.filter(link__isnull=False).count() == 1


def test_a_reusable_link_takes_several_payments(link_service, client, paid_signals):
    link = new_link(invoice_type=PaymentLinkType.REUSABLE, description="Donation")
    first, second = pay(client, link), pay(client, link)
    assert first.inv_id == link.inv_id
    assert second.inv_id > max(first.inv_id, REUSED_INV_IDS - 1)  # numbered by ROBOKASSA
    link.refresh_from_db()
    assert link.state == PaymentLinkState.ACTIVE
    payments = link.payments.order_by("pk")
    assert [p.pk for p in payments] == [link.inv_id, second.inv_id]
    assert {p.status for p in payments} == {InvoiceStatus.PAID}
    assert payments[1].amount == Decimal("1500.00")
    assert [s["invoice"].pk for s in paid_signals] == [link.inv_id, second.inv_id]


def test_a_repeated_notification_of_a_link_payment_is_answered_and_not_counted_twice(
    link_service, client, paid_signals
):
    from wagtail_robokassa.contrib.emulator.notify import result_params

    link = new_link()
    operation = pay(client, link)
    params = dict(result_params(operation, link_service))
    response = client.post("/robokassa/result/", params)
    assert response.content == f"OK{link.inv_id}".encode()
    assert SuccessNotification.objects.get(inv_id=link.inv_id).deliveries == 2
    assert len(paid_signals) == 1


def test_deactivation_closes_the_link_at_robokassa(link_service, client):
    link = new_link()
    link = deactivate_payment_link(link)
    assert link.state == PaymentLinkState.DEACTIVATED
    assert link.closed_at is not None
    assert EmulatedInvoiceLink.objects.get().state == EmulatedInvoiceLink.DEACTIVATED
    assert Invoice.objects.get(pk=link.inv_id).status == InvoiceStatus.CANCELLED
    page = client.get(page_of(link))
    assert page.status_code == 404
    assert "53" in page.content.decode()
    with pytest.raises(LinkRefusedHere):
        deactivate_payment_link(link)


def test_an_expired_link_is_closed_by_the_plugin(link_service, client):
    link = new_link(expires_at=timezone.now() + timedelta(hours=1))
    kept = new_link(expires_at=timezone.now() + timedelta(days=3))
    assert expire_payment_links() == 0
    PaymentLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert expire_payment_links() == 1
    link.refresh_from_db()
    kept.refresh_from_db()
    assert (link.state, kept.state) == (PaymentLinkState.EXPIRED, PaymentLinkState.ACTIVE)
    assert client.get(page_of(link)).status_code == 404
    assert client.get(page_of(kept)).status_code == 200


def test_an_expiry_in_the_past_is_refused(link_service):
    with pytest.raises(LinkRefusedHere, match="future"):
        new_link(expires_at=timezone.now() - timedelta(minutes=1))
    assert not PaymentLink.objects.exists()


def test_a_link_expired_at_robokassa_is_followed(link_service, client):
    link = new_link()
    emulated = EmulatedInvoiceLink.objects.get()
    client.post(f"/emulator/payment-links/{emulated.pk}/expire/")
    page = client.get(page_of(link))
    assert page.status_code == 410
    assert "51" in page.content.decode()
    refreshed = refresh_payment_link(link)
    assert refreshed.row is not None
    assert refreshed.link.state == PaymentLinkState.EXPIRED


def test_a_lost_answer_is_looked_up_not_sent_again(link_service):
    EmulatorSwitches.objects.update_or_create(
        pk=1, defaults={"link_outcome": LinkOutcome.ANSWER_LOST}
    )
    link = new_link()
    assert link.state == PaymentLinkState.UNKNOWN
    assert link.url == ""
    assert "may have been created" in link.message
    EmulatorSwitches.objects.filter(pk=1).update(link_outcome=LinkOutcome.CREATED)
    refreshed = refresh_payment_link(link).link
    assert refreshed.state == PaymentLinkState.ACTIVE
    assert refreshed.url.endswith(EmulatedInvoiceLink.objects.get().encoded_id)
    assert EmulatedInvoiceLink.objects.count() == 1


def test_a_link_robokassa_never_made_is_failed_after_the_lookup(link_service):
    EmulatorSwitches.objects.update_or_create(pk=1, defaults={"link_outcome": LinkOutcome.HTTP_500})
    link = new_link()
    assert link.state == PaymentLinkState.UNKNOWN
    refreshed = refresh_payment_link(link).link
    assert refreshed.state == PaymentLinkState.FAILED
    assert Invoice.objects.get(pk=link.inv_id).status == InvoiceStatus.CANCELLED


def test_a_refusal_fails_the_link_with_robokassas_words(link_service, settings):
    settings.ROBOKASSA_TEST_MODE = False  # the emulator takes test links only
    link = new_link()
    assert link.state == PaymentLinkState.FAILED
    assert "test links only" in link.message
    assert Invoice.objects.get(pk=link.inv_id).status == InvoiceStatus.CANCELLED
    assert not EmulatedInvoiceLink.objects.exists()


def test_the_same_click_makes_one_link(link_service):
    key = uuid.uuid4()
    first, second = new_link(key=key), new_link(key=key)
    assert first.pk == second.pk
    assert EmulatedInvoiceLink.objects.count() == 1
    assert Invoice.objects.filter(payment_link=first).count() == 1


def test_receipt_lines_go_as_invoice_items_with_unit_prices(link_service, client):
    receipt = Receipt(
        items=(
            ReceiptItem(name="Session", sum=Decimal("1000.00"), quantity=Decimal(2), tax="none"),
            ReceiptItem(name="Notes", sum=Decimal("500.00"), tax="vat20"),
        )
    )
    link = new_link(amount=Decimal("1500.00"), receipt=receipt)
    assert link.state == PaymentLinkState.ACTIVE, link.message
    items = EmulatedInvoiceLink.objects.get().items
    assert [(item["Name"], item["Quantity"], item["Cost"]) for item in items] == [
        ("Session", 2, 500),
        ("Notes", 1, 500),
    ]
    assert Invoice.objects.get(pk=link.inv_id).receipt == receipt.to_dict()
    page = client.get(page_of(link)).content.decode()
    assert "Session" in page
    assert "(vat20)" in page  # the rate's label, as on a form payment's page


def test_a_receipt_that_does_not_add_up_is_refused_before_anything_is_sent(link_service):
    receipt = Receipt(items=(ReceiptItem(name="Session", sum=Decimal("100.00"), tax="none"),))
    with pytest.raises(LinkRefusedHere, match="add up"):
        new_link(receipt=receipt)
    assert not EmulatedInvoiceLink.objects.exists()


@pytest.mark.parametrize(
    "amount", [Decimal(0), Decimal("-1"), Decimal("1.001"), Decimal("NaN"), 1.5, "10", True]
)
def test_a_bad_amount_is_refused(link_service, amount):
    with pytest.raises(LinkRefusedHere):
        new_link(amount=amount)
    assert not PaymentLink.objects.exists()


def test_a_lost_notification_is_found_by_the_lookup(link_service, client, paid_signals):
    link = new_link()
    response = client.get(page_of(link))
    assert response.status_code == 200
    operation = EmulatedOperation.objects.get(link__isnull=False)
    client.post(f"/emulator/Merchant/PayWithoutNotifying/{operation.pk}/")
    assert Invoice.objects.get(pk=link.inv_id).status == InvoiceStatus.PENDING
    refreshed = refresh_payment_link(link).link
    assert refreshed.state == PaymentLinkState.PAID
    assert Invoice.objects.get(pk=link.inv_id).status == InvoiceStatus.PAID
    assert len(paid_signals) == 1


def test_a_receiver_that_raises_rolls_the_payment_back(link_service, client):
    def broken(sender, **kwargs):
        raise RuntimeError("the shop's receiver failed")

    payment_link_paid.connect(broken)
    try:
        link = new_link()
        client.get(page_of(link))
        operation = EmulatedOperation.objects.get(link__isnull=False)
        response = client.post(f"/emulator/Merchant/Pay/{operation.pk}/")
    finally:
        payment_link_paid.disconnect(broken)
    assert response.status_code == 502  # the emulator saw no OK: ROBOKASSA would retry
    link.refresh_from_db()
    assert link.state == PaymentLinkState.ACTIVE
    assert Invoice.objects.get(pk=link.inv_id).status == InvoiceStatus.PENDING
    assert not SuccessNotification.objects.exists()


def test_the_emulator_refuses_a_tampered_token(link_service, client):
    from wagtail_robokassa.protocol import invoice_api_token

    token = invoice_api_token(
        {
            "MerchantLogin": "demo",
            "InvoiceType": "OneTime",
            "InvId": 5,
            "OutSum": 10,
            "AdditionalParameters": {"IsTest": "1"},
        },
        "demo",
        "test-password-1",
    )
    header, payload, signature = token.split(".")
    tampered_payload = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1]
    for tampered in (
        f"{header}.{tampered_payload}.{signature}",
        f"{header}.{payload}.x{signature}",
    ):
        response = client.post(
            "/emulator/InvoiceServiceWebApi/api/CreateInvoice",
            json.dumps(tampered),
            content_type="application/json",
        )
        assert response.json()["isSuccess"] is False
    ok = client.post(
        "/emulator/InvoiceServiceWebApi/api/CreateInvoice",
        json.dumps(token),
        content_type="application/json",
    )
    assert ok.json()["isSuccess"] is True
    assert EmulatedInvoiceLink.objects.count() == 1


def test_the_periodic_command_closes_expired_links(link_service):
    from io import StringIO

    from django.core.management import call_command

    link = new_link(expires_at=timezone.now() + timedelta(hours=1))
    PaymentLink.objects.filter(pk=link.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    out = StringIO()
    call_command("robokassa_reconcile", stdout=out)
    assert "Closed 1 expired payment link(s)." in out.getvalue()
    link.refresh_from_db()
    assert link.state == PaymentLinkState.EXPIRED
    assert EmulatedInvoiceLink.objects.get().state == EmulatedInvoiceLink.DEACTIVATED
