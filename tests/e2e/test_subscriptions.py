"""A subscription in a real browser: a visitor subscribes on the page and pays on ROBOKASSA's
(the emulator's) page, staff see it in the admin, a month passes on the emulator, and the
renewal shows; the buyer cancels from their subscription's page."""

from decimal import Decimal

from tests.e2e.conftest import configure_test_shop, log_in, shot


def subscription_page(home):
    from demo.home.models import HomePage

    page = HomePage(
        title="Club",
        slug="club",
        body=[
            (
                "payment",
                {
                    "description": "Reading club",
                    "amount": Decimal("290.00"),
                    "subscription": {
                        "enabled": True,
                        "period": "month",
                        "first_amount": Decimal("1.00"),
                        "trial_days": 7,
                    },
                },
            ),
        ],
    )
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


def test_9_a_visitor_subscribes_staff_see_a_month_pass_and_the_buyer_cancels(
    page, live_server, shop, settings
):
    from wagtail_robokassa.contrib.emulator.models import EmulatedOperation
    from wagtail_robokassa.models import Subscription, SubscriptionState

    settings.ROBOKASSA_RECURRING_URL = f"{live_server.url}/emulator/Merchant/Recurring"
    settings.ROBOKASSA_STATUS_URL = (
        f"{live_server.url}/emulator/Merchant/WebService/Service.asmx/OpStateExt"
    )
    settings.ROBOKASSA_EMULATOR_RESULT_URL = f"{live_server.url}/robokassa/result/"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    configure_test_shop(shop["site"], recurring_enabled=True)
    club = subscription_page(shop["home"])

    page.goto(f"{live_server.url}{club.url}")
    form = page.locator("form.robokassa-pay")
    terms = form.locator(".robokassa-pay-terms").inner_text()
    assert "1.00\xa0₽ today for the first 7 days, then 290.00\xa0₽ every month" in terms
    form.locator("input[name=email]").fill("reader@example.com")
    form.get_by_role("button", name="Subscribe").click()
    # The browser itself refuses the form without the consent.
    assert page.url.endswith(club.url)
    assert not Subscription.objects.exists()
    form.locator("input[name=agree]").check()
    shot(page, "9-subscribe")
    form.get_by_role("button", name="Subscribe").click()
    page.wait_for_url("**/emulator/Merchant/Index.aspx")
    page.locator("button.pay").click()
    page.wait_for_url("**/robokassa/success/**")
    subscription = Subscription.objects.get()
    assert subscription.state == SubscriptionState.ACTIVE
    buyer_page = page.get_attribute("[data-testid=subscription-link]", "href")

    log_in(page, live_server)
    assert "Monthly recurring revenue" in page.inner_text("main")
    page.goto(f"{live_server.url}/admin/robokassa_subscriptions/")
    assert "reader@example.com" in page.inner_text("main table.listing")
    page.locator("main table.listing a[href*='/inspect/']").first.click()
    assert "No renewal yet." in page.inner_text("main")

    page.goto(f"{live_server.url}/emulator/status-interface/")
    page.click("[data-testid=time-passes]")
    page.wait_for_load_state()
    renewal = EmulatedOperation.objects.get(parent__isnull=False)
    assert renewal.out_sum == Decimal("290.00")
    page.goto(f"{live_server.url}/admin/robokassa_subscriptions/inspect/{subscription.pk}/")
    charges = page.inner_text("main table.robokassa-charges")
    assert f"InvId {renewal.inv_id}" in charges
    assert "Paid" in charges
    shot(page, "9-renewed")

    page.goto(buyer_page)
    page.get_by_role("button", name="Cancel the subscription").click()
    page.wait_for_load_state()
    assert page.locator("[data-testid=cancelled-now]").count() == 1
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.CANCELLED
    assert subscription.payments_made == 2
