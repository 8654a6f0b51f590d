"""A hold in a real browser: a visitor books on the page and the emulator holds the money (its
signed ResultUrl2 HOLD reaches the shop), staff find the held payment in the admin, charge part
of it with the final receipt, and the payment becomes paid."""

from decimal import Decimal

from tests.e2e.conftest import configure_test_shop, log_in, shot


def rental_page(home):
    from demo.home.models import HomePage

    page = HomePage(
        title="Rental",
        slug="rental",
        body=[
            (
                "payment",
                {
                    "description": "Bike for the weekend",
                    "amount": Decimal("1500.00"),
                    "button_label": "Book",
                    "hold": True,
                },
            ),
        ],
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


def test_10_a_visitor_books_on_hold_and_staff_charge_part_of_it(page, live_server, shop, settings):
    from wagtail_robokassa.contrib.emulator import jws as emulator_jws
    from wagtail_robokassa.contrib.emulator.models import EmulatedOperation
    from wagtail_robokassa.models import HoldSettlement, Invoice, InvoiceStatus

    settings.ROBOKASSA_HOLD_URL = f"{live_server.url}/emulator/Merchant/Payment"
    settings.ROBOKASSA_EMULATOR_RESULT_URL = f"{live_server.url}/robokassa/result/"
    settings.ROBOKASSA_RESULT_URL2_TEST_CERTIFICATE = str(emulator_jws.CERTIFICATE_PATH)
    configure_test_shop(shop["site"], holds_enabled=True)
    rental = rental_page(shop["home"])

    page.goto(f"{live_server.url}{rental.url}")
    form = page.locator("form.robokassa-pay")
    assert "reserved on your card" in form.inner_text()
    form.get_by_role("button", name="Book").click()
    page.wait_for_url("**/emulator/Merchant/Index.aspx")
    assert page.locator("[data-testid=hold-note]").count() == 1
    page.get_by_role("button", name="Hold", exact=True).click()
    page.wait_for_url("**/robokassa/success/**")
    assert page.locator("[data-testid=held]").count() == 1
    invoice = Invoice.objects.get()
    assert invoice.status == InvoiceStatus.HELD

    log_in(page, live_server)
    assert "On hold: 1,500.00" in page.inner_text("main")
    page.goto(f"{live_server.url}/admin/robokassa_payments/?hold=held")
    assert "Until " in page.inner_text("main table.listing")
    page.locator("main table.listing a[href*='/inspect/']").first.click()
    assert "ROBOKASSA releases it" in page.inner_text("[data-testid=hold-state]")
    page.locator("main a[href*='/charge-hold/']").click()
    page.fill("input[name=amount]", "1200.00")
    shot(page, "10-charge")
    page.get_by_role("button", name="Charge", exact=True).click()
    page.wait_for_load_state()
    assert "ROBOKASSA charged the payment; it is paid." in page.inner_text("body")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert (invoice.amount, invoice.held_amount) == (Decimal("1200.00"), Decimal("1500.00"))
    assert HoldSettlement.objects.get().requested_by.username == "admin"
    operation = EmulatedOperation.objects.get(inv_id=invoice.pk)
    assert (operation.state, operation.out_sum) == (EmulatedOperation.PAID, Decimal("1200.00"))
    shot(page, "10-charged")
