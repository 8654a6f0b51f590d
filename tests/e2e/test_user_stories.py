"""The four things users do, each driven through the UI in Chromium as a person would."""

import csv
import io
import re
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.e2e.conftest import configure_test_shop, log_in, payment_page, shot

pytestmark = pytest.mark.e2e
SECRETS = ("live-secret-one", "live-secret-two", "test-secret-one", "test-secret-two")


def test_1_configure_the_shop_in_the_admin(page, live_server, shop):
    log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/settings/wagtail_robokassa/robokassasettings/")
    page.fill("#id_login", "my-shop")
    page.fill("#id_password1", SECRETS[0])
    page.fill("#id_password2", SECRETS[1])
    page.check("#id_test_mode")
    page.fill("#id_test_password1", SECRETS[2])
    page.fill("#id_test_password2", SECRETS[3])
    shot(page, "1-settings-filled")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    page.reload()
    html = page.content()
    for secret in SECRETS:
        assert secret not in html
    assert page.get_by_text("Stored. Leave blank to keep it.").count() >= 4
    assert page.get_by_text("Test mode", exact=True).count() >= 1
    assert "/robokassa/result/" in html
    shot(page, "1-settings-saved")

    from wagtail_robokassa.services.config import get_config

    config = get_config(shop["site"])
    assert (config.login, config.test_mode, config.test_password2) == ("my-shop", True, SECRETS[3])


def test_2_editor_adds_a_payment_block_and_publishes(page, live_server, shop):
    log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/pages/add/home/homepage/{shop['home'].pk}/")
    page.fill("#id_title", "Python course")
    page.get_by_role("button", name="Insert a block").first.click()
    page.get_by_text("Payment button", exact=True).first.click()
    page.fill("input[name='body-0-value-description']", "Python course, 8 weeks")
    page.fill("input[name='body-0-value-amount']", "4990.00")
    page.fill("input[name='body-0-value-button_label']", "Enrol")
    shot(page, "2-block-editor")
    page.get_by_role("button", name="More actions").click()
    page.get_by_role("button", name="Publish").click()
    page.wait_for_url(re.compile(r".*/admin/pages/\d+/"))

    from demo.home.models import HomePage

    course = HomePage.objects.get(title="Python course")
    assert course.live
    page.goto(f"{live_server.url}{course.url}")
    assert page.get_by_role("button", name="Enrol").is_enabled()
    assert page.inner_text(".robokassa-pay-amount") == "4,990.00\N{NO-BREAK SPACE}₽"
    shot(page, "2-published-page")


def to_the_emulator(page, live_server, support_page):
    """Subscribe at the fixed price; returns the InvId the emulator's payment page shows."""
    page.goto(f"{live_server.url}{support_page.url}")
    form = page.locator("form.robokassa-pay").first
    form.locator("input[name=email]").fill("buyer@example.com")
    form.get_by_role("button", name="Subscribe").click()
    page.wait_for_url("**/emulator/Merchant/Index.aspx")
    return int(page.inner_text("[data-testid=inv-id]"))


def pay_fixed_price(page, live_server, support_page):
    inv_id = to_the_emulator(page, live_server, support_page)
    shot(page, "3-emulator-payment-page")
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url("**/robokassa/success/**")
    return inv_id


def test_3_visitor_pays_and_another_declines(page, live_server, shop):
    configure_test_shop(shop["site"])
    support = payment_page(shop["home"])
    inv_id = pay_fixed_price(page, live_server, support)
    text = page.inner_text("body")
    assert "your payment has been received" in text
    assert f"Payment No. {inv_id}" in text
    assert "990" in text
    shot(page, "3-success-page")

    from wagtail_robokassa.models import Invoice, InvoiceStatus

    invoice = Invoice.objects.get(pk=inv_id)
    assert (invoice.status, invoice.is_test, invoice.email) == (
        InvoiceStatus.PAID,
        True,
        "buyer@example.com",
    )

    page.goto(f"{live_server.url}{support.url}")
    donation = page.locator("form.robokassa-pay").nth(1)
    donation.locator("input[name=amount]").fill("250.00")
    donation.get_by_role("button", name="Donate").click()
    page.wait_for_url("**/emulator/Merchant/Index.aspx")
    assert "250" in page.inner_text("[data-testid=amount]")
    page.get_by_role("button", name="Decline").click()
    page.wait_for_url("**/robokassa/fail/**")
    assert "The payment was not completed" in page.inner_text("body")
    shot(page, "3-fail-page")
    declined = Invoice.objects.exclude(pk=inv_id).get()
    assert declined.status == InvoiceStatus.PENDING
    assert declined.visits.get().kind == "fail"


def test_4_staff_review_filter_inspect_and_export(page, live_server, shop):
    configure_test_shop(shop["site"])
    support = payment_page(shop["home"])
    inv_id = pay_fixed_price(page, live_server, support)
    log_in(page, live_server)

    page.goto(f"{live_server.url}/admin/robokassa_payments/")
    assert page.locator("main table.listing tbody tr").count() == 1
    today = timezone.localdate().isoformat()
    page.get_by_role("button", name="Show filters").click()
    page.get_by_role("button", name=re.compile("Created")).click()
    page.fill("input[name=created_from]", today)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*created_from=" + today))
    assert page.locator("main table.listing tbody tr").count() == 1
    shot(page, "4-payments-filtered")

    page.get_by_role("link", name=str(inv_id), exact=True).first.click()
    page.wait_for_url(f"**/robokassa_payments/inspect/{inv_id}/")
    assert "Annual subscription" in page.inner_text("main")
    page.locator(".robokassa-related a[href*=robokassa_notifications]").click()
    page.wait_for_url("**/robokassa_notifications/inspect/**")
    shot(page, "4-notification-inspect")

    page.goto(f"{live_server.url}/admin/robokassa_notifications/")
    page.get_by_role("button", name="Actions").first.click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    content = open(download_info.value.path(), encoding="utf-8-sig").read()  # noqa: SIM115
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0][0] == "InvId"
    assert [row[0] for row in rows[1:]] == [str(inv_id)]

    page.goto(f"{live_server.url}/admin/")
    panel = page.locator("#robokassa-takings-section, [id^=robokassa-takings]").first
    assert page.locator("svg.robokassa-chart rect").count() == 30
    heights = page.locator("svg.robokassa-chart rect").evaluate_all(
        "bars => bars.map(bar => parseFloat(bar.getAttribute('height')))"
    )
    assert max(heights) > 0
    assert panel.count() == 1
    shot(page, "4-dashboard")


def test_5_a_lost_notification_is_found_by_a_status_check(page, live_server, shop, settings):
    """The buyer pays but ROBOKASSA's notification never arrives; staff press "Check status at
    ROBOKASSA" on the payment and it is recorded as paid, once."""
    from wagtail_robokassa.models import Invoice, InvoiceStatus, SuccessNotification

    settings.ROBOKASSA_STATUS_URL = (
        f"{live_server.url}/emulator/Merchant/WebService/Service.asmx/OpStateExt"
    )
    configure_test_shop(shop["site"])
    support = payment_page(shop["home"])
    inv_id = to_the_emulator(page, live_server, support)
    page.get_by_role("button", name="Pay without notifying the shop").click()
    page.wait_for_url("**/robokassa/success/**")
    assert "being processed" in page.inner_text("body")  # strict: no notification yet
    assert Invoice.objects.get(pk=inv_id).status == InvoiceStatus.PENDING

    log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/robokassa_payments/inspect/{inv_id}/")
    page.get_by_role("button", name="Check status at ROBOKASSA").click()
    page.wait_for_url(f"**/admin/robokassa_payments/inspect/{inv_id}/")
    message = page.locator(".messages").inner_text()
    assert f"ROBOKASSA confirms payment #{inv_id}: it is now recorded as paid." in message
    shot(page, "5-status-check")
    assert Invoice.objects.get(pk=inv_id).status == InvoiceStatus.PAID
    notification = SuccessNotification.objects.get(inv_id=inv_id)
    assert notification.source == "status_check"
    body = page.inner_text("main")
    assert "Paid" in body

    page.get_by_role("button", name="Check status at ROBOKASSA").click()
    page.wait_for_url(f"**/admin/robokassa_payments/inspect/{inv_id}/")
    assert "it was already recorded" in page.locator(".messages").inner_text()
    assert SuccessNotification.objects.filter(inv_id=inv_id).count() == 1


def test_6_staff_refund_part_of_a_payment(page, live_server, shop, settings):
    """Staff refund part of a paid payment from its page; once ROBOKASSA has finished it, the
    history, the payments listing and the Overview show it."""
    from wagtail_robokassa.models import Invoice, Refund, RefundState

    settings.ROBOKASSA_REFUND_URL = f"{live_server.url}/emulator/RefundService"
    settings.ROBOKASSA_STATUS_URL = (
        f"{live_server.url}/emulator/Merchant/WebService/Service.asmx/OpStateExt"
    )
    configure_test_shop(shop["site"], password3="e2e-refund-3")
    support = payment_page(shop["home"])
    inv_id = pay_fixed_price(page, live_server, support)
    log_in(page, live_server)

    page.goto(f"{live_server.url}/admin/robokassa_payments/inspect/{inv_id}/")
    page.get_by_role("link", name="Refund", exact=True).click()
    page.wait_for_url(f"**/robokassa_payments/refund/{inv_id}/")
    assert page.input_value("input[name=amount]") == "990.00"
    page.fill("input[name=amount]", "390.00")
    page.fill("input[name=reason]", "One issue was not delivered")
    page.get_by_role("button", name="Continue").click()
    alert = page.get_by_role("alert").inner_text()
    assert "Refund 390.00" in alert
    assert "buyer@example.com" in alert
    shot(page, "6-refund-confirm")
    page.get_by_role("button", name="Confirm the refund").click()
    page.wait_for_url(f"**/admin/robokassa_payments/inspect/{inv_id}/")
    assert "ROBOKASSA accepted the refund of 390.00" in page.locator(".messages").inner_text()
    refund = Refund.objects.get()
    assert (refund.state, refund.amount) == (RefundState.PROCESSING, Decimal("390.00"))

    page.get_by_role("button", name="Check now").click()  # the task would ask later
    page.wait_for_url(f"**/admin/robokassa_payments/inspect/{inv_id}/")
    assert (
        "The refund of 390.00\N{NO-BREAK SPACE}₽ is finished."
        in page.locator(".messages").inner_text()
    )
    history = page.locator("table.robokassa-refunds").inner_text()
    assert "Refunded" in history
    assert "390.00" in history
    shot(page, "6-refund-history")
    assert Invoice.objects.get(pk=inv_id).refunded == Decimal("390.00")

    page.goto(f"{live_server.url}/admin/robokassa_payments/")
    assert "Partially refunded" in page.locator("main table.listing tbody").inner_text()

    page.goto(f"{live_server.url}/admin/robokassa_overview/?mode=test")
    total = page.locator(".robokassa-period-total").inner_text()
    assert "390.00\N{NO-BREAK SPACE}₽ refunded." in total
    assert page.locator("svg.robokassa-chart rect.robokassa-chart-refunded").count() > 1
    shot(page, "6-overview-refunded")


def test_7_staff_send_the_final_receipt_of_a_pre_order(page, live_server, shop, settings):
    """A buyer pre-orders (a "full prepayment" receipt); on delivery staff send the final
    receipt from the payment's page, once, and see it registered with its fiscal details."""
    from demo.home.models import HomePage

    from wagtail_robokassa.contrib.emulator.models import EmulatedReceipt
    from wagtail_robokassa.models import SecondReceipt

    settings.ROBOKASSA_FISCAL_URL = f"{live_server.url}/emulator/RoboFiscal"
    configure_test_shop(shop["site"], send_receipts=True, receipt_sno="usn_income")
    preorder = HomePage(
        title="Pre-order",
        slug="pre-order",
        body=[
            ("payment", {"description": "The Chronicles, signed", "amount": Decimal("1490.00"),
                         "ask_email": True, "button_label": "Pre-order",
                         "receipt": {"name": "", "tax": "", "payment_object": "",
                                     "payment_method": "full_prepayment"}}),
        ],
    )  # fmt: skip
    shop["home"].add_child(instance=preorder)
    preorder.save_revision().publish()
    page.goto(f"{live_server.url}{preorder.url}")
    form = page.locator("form.robokassa-pay").first
    form.locator("input[name=email]").fill("reader@example.com")
    form.get_by_role("button", name="Pre-order").click()
    page.wait_for_url("**/emulator/Merchant/Index.aspx")
    inv_id = int(page.inner_text("[data-testid=inv-id]"))
    page.get_by_role("button", name="Pay", exact=True).click()
    page.wait_for_url("**/robokassa/success/**")

    log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/robokassa_payments/inspect/{inv_id}/")
    page.get_by_role("link", name="Send the final receipt").click()
    page.wait_for_url(f"**/robokassa_payments/final-receipt/{inv_id}/")
    assert "The Chronicles, signed" in page.locator("main table").inner_text()
    shot(page, "7-final-receipt")
    assert "reader@example.com" in page.locator("main dl").inner_text()
    page.get_by_role("button", name="Send the final receipt").click()
    page.wait_for_url(f"**/admin/robokassa_payments/inspect/{inv_id}/")
    assert "ROBOKASSA took the final receipt" in page.locator(".messages").inner_text()
    assert page.get_by_role("link", name="Send the final receipt").count() == 0  # once
    page.get_by_role("button", name="Check now").click()
    page.wait_for_url(f"**/admin/robokassa_payments/inspect/{inv_id}/")
    assert "The final receipt is registered" in page.locator(".messages").inner_text()
    facts = page.locator("main").inner_text()
    assert "Registered" in facts
    assert f"No. {SecondReceipt.objects.get().document_number}" in facts
    shot(page, "7-final-receipt-registered")
    assert EmulatedReceipt.objects.get().payload["items"][0]["payment_method"] == "full_payment"


def test_8_staff_bill_a_customer_with_a_payment_link(page, live_server, shop, settings):
    """Staff make a payment link in the admin, copy it from its page, the customer pays it on
    ROBOKASSA's page, and the link shows paid with its payment; a second attempt gets error 52."""
    from wagtail_robokassa.models import Invoice, InvoiceStatus, PaymentLink, PaymentLinkState

    settings.ROBOKASSA_INVOICE_API_URL = f"{live_server.url}/emulator/InvoiceServiceWebApi/api"
    settings.ROBOKASSA_EMULATOR_RESULT_URL = f"{live_server.url}/robokassa/result/"
    configure_test_shop(shop["site"])
    log_in(page, live_server)

    page.goto(f"{live_server.url}/admin/robokassa_links/")
    page.get_by_role("link", name="New payment link").click()
    page.wait_for_url("**/robokassa_links/new/")
    page.fill("input[name=description]", "Consultation, 2 hours")
    page.fill("input[name=amount]", "4500.00")
    page.fill("input[name=customer_name]", "Anna Petrova")
    page.fill("input[name=customer_email]", "anna@example.com")
    shot(page, "8-link-form")
    page.get_by_role("button", name="Make the link").dblclick()  # a double click: one link
    page.wait_for_url("**/robokassa_links/inspect/**")
    assert "The payment link is ready" in page.locator(".messages").inner_text()
    link = PaymentLink.objects.get()
    assert link.state == PaymentLinkState.ACTIVE
    address = page.input_value("#robokassa-link-url")
    assert address == link.url
    assert page.locator(".robokassa-link-qr svg").count() == 1
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.get_by_role("button", name="Copy").click()
    assert page.evaluate("navigator.clipboard.readText()") == address
    shot(page, "8-link-page")

    customer = page.context.new_page()
    customer.goto(address)
    assert "4,500.00" in customer.inner_text("[data-testid=amount]")
    customer.get_by_role("button", name="Pay", exact=True).click()
    customer.wait_for_url("**/robokassa/success/**")
    assert Invoice.objects.get(pk=link.inv_id).status == InvoiceStatus.PAID
    customer.goto(address)
    assert "52" in customer.inner_text("main")
    customer.close()

    page.reload()
    assert page.locator("#robokassa-link-heading").inner_text().startswith("Paid")
    assert str(link.inv_id) in page.locator("main table.listing").inner_text()
    assert page.locator("#robokassa-link-url").count() == 0  # a paid link is not offered again
    page.goto(f"{live_server.url}/admin/robokassa_links/?state=paid")
    assert "Consultation, 2 hours" in page.locator("main table.listing").inner_text()
    shot(page, "8-links-paid")
