"""ROBOKASSA → Payment links in the Wagtail admin: making a link, its page (address, copy,
QR code), sending it to the customer, checking and deactivating it; permissions and CSRF."""

import re
import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.test import Client

from tests.admin.conftest import make_user
from wagtail_robokassa.contrib.emulator.models import EmulatedInvoiceLink
from wagtail_robokassa.models import Invoice, InvoiceStatus, PaymentLink, PaymentLinkState

INDEX = "/admin/robokassa_links/"
NEW = INDEX + "new/"


def form(**fields):
    return {
        "description": "Consultation, 2 hours",
        "amount": "4500.00",
        "invoice_type": "OneTime",
        "customer_name": "Анна Петрова",
        "customer_email": "anna@example.com",
        "expires_at": "",
        "culture": "ru",
        "comment": "agreed by phone",
        "site": "",
        "key": str(uuid.uuid4()),
    } | fields


@pytest.fixture
def maker(client, link_service, default_site):
    client.force_login(make_user("maker", "add_paymentlink", "view_paymentlink"))
    client.site = default_site
    return client


def make(client, **fields):
    fields.setdefault("site", str(client.site.pk))
    return client.post(NEW, form(**fields))


def test_a_link_is_made_from_the_form(maker):
    page = maker.get(NEW)
    assert page.status_code == 200
    assert 'name="amount"' in page.content.decode()
    response = make(maker)
    link = PaymentLink.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{INDEX}inspect/{link.pk}/"
    assert link.state == PaymentLinkState.ACTIVE
    assert (link.amount, link.customer_name, link.created_by.username) == (
        Decimal("4500.00"),
        "Анна Петрова",
        "maker",
    )
    shown = maker.get(response["Location"]).content.decode()
    assert link.url in shown
    assert 'data-controller="w-clipboard"' in shown
    assert "<svg" in shown  # the QR code, drawn on the server
    assert "Send to anna@example.com" in shown
    assert "The payment link is ready" in shown


def test_a_double_click_makes_one_link(maker):
    key = str(uuid.uuid4())
    first, second = make(maker, key=key), make(maker, key=key)
    assert first["Location"] == second["Location"]
    assert PaymentLink.objects.count() == 1
    assert EmulatedInvoiceLink.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "1.005"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "99999999999"}, "amount"),
        ({"description": ""}, "description"),
        ({"description": "x" * 101}, "description"),
        ({"customer_email": "not an address"}, "customer_email"),
        ({"invoice_type": "Forever"}, "invoice_type"),
        ({"culture": "de"}, "culture"),
        ({"expires_at": "yesterday"}, "expires_at"),
        ({"description": "a\x00b"}, "description"),
    ],
)
def test_bad_input_is_a_form_error(maker, fields, error):
    response = make(maker, **fields)
    assert response.status_code == 200
    assert error in response.context["form"].errors
    assert not PaymentLink.objects.exists()


def test_an_expiry_in_the_past_is_a_form_error(maker):
    response = make(maker, expires_at="2001-01-01 10:00")
    assert response.status_code == 200
    assert "future" in response.content.decode()
    assert not PaymentLink.objects.exists()


def test_the_link_is_e_mailed_in_the_payment_pages_language(maker):
    make(maker, culture="ru")
    make(maker, culture="en", customer_name="", key=str(uuid.uuid4()))
    russian, english = PaymentLink.objects.order_by("pk")
    for link in (russian, english):
        response = maker.post(f"{INDEX}email/{link.pk}/")
        assert response.status_code == 302
    ru_mail, en_mail = mail.outbox
    assert ru_mail.to == ["anna@example.com"]
    assert "Ссылка на оплату" in ru_mail.subject
    assert "Здравствуйте, Анна Петрова." in ru_mail.body
    assert russian.url in ru_mail.body
    assert "Payment link" in en_mail.subject
    assert "Hello." in en_mail.body
    assert english.url in en_mail.body
    for message in mail.outbox:
        assert "password" not in message.body.lower()
        assert message.body.rstrip().endswith("wagtail-robokassa tests")  # WAGTAIL_SITE_NAME


def test_the_e_mail_names_the_links_site(maker):
    maker.site.site_name = "Студия «Сад»"
    maker.site.save()
    make(maker, description='Plan & "design" <draft>')
    maker.post(f"{INDEX}email/{PaymentLink.objects.get().pk}/")
    (message,) = mail.outbox
    assert "Студия «Сад»" in message.subject
    assert message.body.rstrip().endswith("Студия «Сад»")
    assert 'Plan & "design" <draft>' in message.body  # plain text: nothing escaped


def test_a_mail_server_failure_is_told_not_a_500(maker, settings):
    settings.EMAIL_BACKEND = "tests.links.test_link_admin.BrokenMail"
    make(maker)
    link = PaymentLink.objects.get()
    response = maker.post(f"{INDEX}email/{link.pk}/", follow=True)
    assert response.status_code == 200
    assert "could not be sent" in response.content.decode()


class BrokenMail:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("no mail server")


def test_deactivation_asks_first_then_closes_the_link(client, link_service, default_site):
    client.force_login(
        make_user("boss", "add_paymentlink", "view_paymentlink", "deactivate_paymentlink")
    )
    client.post(NEW, form(site=str(default_site.pk)))
    link = PaymentLink.objects.get()
    inspect = client.get(f"{INDEX}inspect/{link.pk}/").content.decode()
    assert f"{INDEX}deactivate/{link.pk}/" in inspect
    confirm = client.get(f"{INDEX}deactivate/{link.pk}/")
    assert confirm.status_code == 200
    assert "Nobody will be able to pay" in confirm.content.decode()
    assert PaymentLink.objects.get().state == PaymentLinkState.ACTIVE
    client.post(f"{INDEX}deactivate/{link.pk}/")
    link.refresh_from_db()
    assert link.state == PaymentLinkState.DEACTIVATED
    assert Invoice.objects.get(pk=link.inv_id).status == InvoiceStatus.CANCELLED
    after = client.get(f"{INDEX}inspect/{link.pk}/").content.decode()
    assert link.url not in after  # a closed link is not offered any more


def test_check_at_robokassa_follows_the_link(maker):
    make(maker)
    link = PaymentLink.objects.get()
    EmulatedInvoiceLink.objects.update(state=EmulatedInvoiceLink.EXPIRED)
    response = maker.post(f"{INDEX}check/{link.pk}/", follow=True)
    assert "says the link is expired" in response.content.decode()
    assert PaymentLink.objects.get().state == PaymentLinkState.EXPIRED


def test_robokassa_unreachable_on_check_is_a_message(maker, settings):
    make(maker)
    link = PaymentLink.objects.get()
    settings.ROBOKASSA_INVOICE_API_URL = "http://127.0.0.1:9/api"
    response = maker.post(f"{INDEX}check/{link.pk}/", follow=True)
    assert response.status_code == 200
    assert "could not tell" in response.content.decode()


@pytest.mark.django_db
def test_a_viewer_sees_links_and_cannot_act(client, default_site):
    link = PaymentLink.objects.create(
        merchant_login="demo",
        amount=Decimal("10.00"),
        description="Deposit",
        state=PaymentLinkState.ACTIVE,
        url="https://auth.robokassa.ru/merchant/Invoice/abc",
        customer_email="x@example.com",
    )
    client.force_login(make_user("viewer", "view_paymentlink"))
    listing = client.get(INDEX)
    assert listing.status_code == 200
    assert "Deposit" in listing.content.decode()
    assert NEW not in listing.content.decode()
    page = client.get(f"{INDEX}inspect/{link.pk}/").content.decode()
    assert "Deactivate" not in page
    assert "Check at ROBOKASSA" not in page
    for method, path in [
        ("get", NEW),
        ("post", NEW),
        ("post", f"check/{link.pk}/"),
        ("post", f"email/{link.pk}/"),
        ("get", f"deactivate/{link.pk}/"),
        ("post", f"deactivate/{link.pk}/"),
        ("get", f"edit/{link.pk}/"),
        ("get", f"delete/{link.pk}/"),
    ]:
        url = path if path.startswith("/") else INDEX + path
        assert getattr(client, method)(url).status_code == 403, path
    assert not mail.outbox


@pytest.mark.django_db
def test_someone_without_the_view_permission_sees_nothing(client):
    client.force_login(make_user("stranger"))
    assert client.get(INDEX).status_code in (302, 403)


@pytest.mark.django_db
def test_every_link_action_needs_a_csrf_token(default_site):
    link = PaymentLink.objects.create(
        merchant_login="demo",
        amount=Decimal("10.00"),
        description="Deposit",
        state=PaymentLinkState.ACTIVE,
        url="https://auth.robokassa.ru/merchant/Invoice/abc",
        customer_email="x@example.com",
    )
    client = Client(enforce_csrf_checks=True)
    client.force_login(
        make_user("boss", "add_paymentlink", "view_paymentlink", "deactivate_paymentlink")
    )
    for path in ["new/", f"check/{link.pk}/", f"email/{link.pk}/", f"deactivate/{link.pk}/"]:
        assert client.post(INDEX + path, form()).status_code == 403, path
    assert PaymentLink.objects.count() == 1
    assert PaymentLink.objects.get().state == PaymentLinkState.ACTIVE
    assert not mail.outbox


def test_the_listing_filters_searches_and_exports(maker):
    make(maker, description="Garden design")
    make(maker, description="Roof repair", key=str(uuid.uuid4()), amount="100.00")
    maker.force_login(make_user("auditor", "view_paymentlink", "export_paymentlink"))
    found = maker.get(INDEX, {"q": "garden"}).content.decode()
    assert "Garden design" in found
    assert "Roof repair" not in found
    active = maker.get(INDEX, {"state": "active"}).content.decode()
    assert "Roof repair" in active
    exported = maker.get(INDEX + "export/csv/")
    assert exported.status_code == 200
    text = b"".join(exported.streaming_content if exported.streaming else [exported.content])
    csv = text.decode("utf-8-sig")
    assert "Garden design" in csv
    assert "Roof repair" in csv
    assert not re.search(r"password|test-password", csv)


@pytest.mark.django_db
def test_the_dashboard_warns_of_links_whose_outcome_is_unknown(client):
    client.force_login(make_user("maker", "add_paymentlink", "view_paymentlink"))
    assert "payment links to check" not in client.get("/admin/").content.decode()
    for _ in range(2):
        PaymentLink.objects.create(
            merchant_login="demo",
            amount=Decimal("10.00"),
            description="Deposit",
            state=PaymentLinkState.UNKNOWN,
        )
    dashboard = client.get("/admin/").content.decode()
    assert "payment links to check" in dashboard
    assert "2 payment links may or may not have been made" in dashboard
    assert "state=unknown" in dashboard
    client.force_login(make_user("viewer", "view_paymentlink"))
    assert "payment links to check" not in client.get("/admin/").content.decode()


def test_the_receipt_line_is_prefilled_with_the_shops_defaults(maker, settings):
    settings.ROBOKASSA_SEND_RECEIPTS = True
    settings.ROBOKASSA_RECEIPT_TAX = "vat10"
    page = maker.get(NEW).content.decode()
    assert 'name="receipt_tax"' in page
    assert re.search(r'<option value="vat10"[^>]*selected', page)
    make(
        maker,
        receipt_name="Consulting services",
        receipt_tax="vat20",
        receipt_payment_method="full_payment",
        receipt_payment_object="service",
        amount="1200.00",
    )
    link = PaymentLink.objects.get()
    assert link.state == PaymentLinkState.ACTIVE, link.message
    (item,) = EmulatedInvoiceLink.objects.get().items
    assert (item["Name"], item["Tax"], item["Cost"], item["PaymentObject"]) == (
        "Consulting services",
        "vat20",
        1200,
        "service",
    )
    assert link.receipt["items"][0]["tax"] == "vat20"


def test_no_receipt_fields_when_the_shop_sends_no_receipts(maker):
    assert 'name="receipt_tax"' not in maker.get(NEW).content.decode()
    make(maker)
    assert PaymentLink.objects.get().receipt is None


def test_paid_links_show_with_their_source(maker, link_service):
    from tests.links.test_link_lifecycle import pay

    make(maker)
    link = PaymentLink.objects.get()
    pay(Client(), link)
    block_payment = Invoice.objects.create(
        merchant_login="demo",
        is_test=True,
        amount=Decimal("10.00"),
        block_id="abc",
        status=InvoiceStatus.PAID,
    )
    maker.force_login(
        make_user("accountant", "view_invoice", "view_paymentlink", "view_successnotification")
    )
    overview = maker.get("/admin/robokassa_overview/", {"mode": "test"}).content.decode()
    table = overview[overview.index("robokassa-by-source") :]
    assert "Payment links" in table
    assert "4,500.00" in table
    assert "Payment blocks" in table
    by_link = maker.get("/admin/robokassa_payments/", {"source": "link"}).context["object_list"]
    assert [invoice.pk for invoice in by_link] == [link.inv_id]
    by_block = maker.get("/admin/robokassa_payments/", {"source": "block"}).context["object_list"]
    assert [invoice.pk for invoice in by_block] == [block_payment.pk]
    payment = maker.get(f"/admin/robokassa_payments/inspect/{link.inv_id}/").content.decode()
    assert f"/admin/robokassa_links/inspect/{link.pk}/" in payment
