"""Every page of the plugin, in a real browser, in English and in Russian: no serious or critical
accessibility violation (axe-core, WCAG 2.1 A/AA), no English left from the plugin's catalogue
on a Russian page, times on inspect pages as on listings, and the Overview showing a test shop's
test payments."""

import contextlib
import re
import urllib.error
import urllib.request

import pytest
from django.utils import translation

from tests.conftest import AXE_CORE
from tests.e2e.conftest import configure_test_shop, log_in, payment_page
from tests.e2e.test_user_stories import pay_fixed_price
from tests.test_translations import PACKAGE, po_of, read_po

pytestmark = [pytest.mark.e2e, pytest.mark.axe]
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")


@pytest.fixture
def reviewed(page, live_server, shop):
    """A test-mode shop with a paid payment, a declined one and a refused notification."""
    from wagtail_robokassa.models import Invoice, RejectedRequest, SuccessNotification

    configure_test_shop(shop["site"])
    support = payment_page(shop["home"])
    paid = pay_fixed_price(page, live_server, support)
    page.goto(f"{live_server.url}{support.url}")
    donation = page.locator("form.robokassa-pay").nth(1)
    donation.locator("input[name=amount]").fill("250.00")
    donation.get_by_role("button", name="Donate").click()
    page.get_by_role("button", name="Decline").click()
    page.wait_for_url("**/robokassa/fail/**")
    declined = Invoice.objects.exclude(pk=paid).get().pk
    with contextlib.suppress(urllib.error.HTTPError):  # 400: refused, and recorded
        urllib.request.urlopen(  # noqa: S310 - the live test server
            f"{live_server.url}/robokassa/result/", b"OutSum=1.00&InvId=1&SignatureValue=x"
        )
    return {
        "support": support,
        "paid": paid,
        "declined": declined,
        "notification": SuccessNotification.objects.get(inv_id=paid).pk,
        "rejected": RejectedRequest.objects.first().pk,
        "site": shop["site"],
    }


def admin_pages(records):
    pages = ["/admin/", "/admin/robokassa_overview/"]
    for name, pk in (
        ("robokassa_payments", records["paid"]),
        ("robokassa_notifications", records["notification"]),
        ("robokassa_visits", None),
        ("robokassa_rejected", records["rejected"]),
    ):
        pages.append(f"/admin/{name}/")
        if pk is not None:
            pages.append(f"/admin/{name}/inspect/{pk}/")
    pages.append(f"/admin/robokassa_payments/inspect/{records['declined']}/")
    site = records["site"].pk
    pages.append(f"/admin/settings/wagtail_robokassa/robokassasettings/{site}/")
    return pages


def blocking_violations(page, where):
    page.add_script_tag(path=str(AXE_CORE))
    violations = page.evaluate(
        "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
        ".violations",
        WCAG,
    )
    return [
        f"{where}: {v['id']} ({v['impact']}) {v['help']} at "
        f"{[node['target'] for node in v['nodes']][:3]}"
        for v in violations
        if v["impact"] in BLOCKING
    ]


def english_phrases():
    """The plugin's own English phrases (two words or more, no placeholders) that Russian
    translates differently."""
    phrases = set()
    for entry in read_po(po_of(PACKAGE)):
        english = entry["msgid"]
        russian = entry["msgstr"].get(0, "")
        wordy = len(english.split()) >= 2 and "%" not in english and "{" not in english
        if wordy and russian and russian != english:
            phrases.add(english)
    return phrases


def use_admin_language(language):
    from django.contrib.auth import get_user_model
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(get_user_model().objects.get(username="admin"))
    profile.preferred_language = language
    profile.save()


def test_every_admin_page_is_accessible_and_translated(page, live_server, reviewed):
    log_in(page, live_server)
    phrases = english_phrases()
    problems = []
    for language in ("en", "ru"):
        use_admin_language(language)
        for path in admin_pages(reviewed):
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            problems += blocking_violations(page, f"{language} {path}")
            if language == "ru":
                text = page.inner_text("body")
                problems += [f"ru {path}: English left: {p!r}" for p in phrases if p in text]
    assert problems == [], "\n".join(problems)


def test_inspect_pages_show_the_times_the_listings_show(page, live_server, reviewed):
    from wagtail_robokassa.admin.display import moment
    from wagtail_robokassa.models import Invoice

    log_in(page, live_server)
    invoice = Invoice.objects.get(pk=reviewed["paid"])
    with translation.override("en"):
        shown = moment(invoice.created_at)
    page.goto(f"{live_server.url}/admin/robokassa_payments/")
    row = page.locator("main table.listing tbody tr", has_text="Annual subscription")
    assert shown in row.inner_text()
    page.goto(f"{live_server.url}/admin/robokassa_payments/inspect/{invoice.pk}/")
    assert shown in page.inner_text("main")


def test_the_overview_shows_a_test_shops_test_payments(page, live_server, reviewed):
    log_in(page, live_server)
    page.goto(f"{live_server.url}/admin/robokassa_overview/")
    summary = page.inner_text(".robokassa-period-total")
    assert "1 notification, 990.00\N{NO-BREAK SPACE}₽ received." in summary
    assert page.locator("svg.robokassa-chart rect").count() == 30


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_buyers_pages_are_accessible(browser, live_server, shop, language):
    configure_test_shop(shop["site"])
    support = payment_page(shop["home"])
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale=language)
    page = context.new_page()
    problems = []
    page.goto(f"{live_server.url}{support.url}")
    problems += blocking_violations(page, f"{language} payment buttons")
    form = page.locator("form.robokassa-pay").first
    form.locator("input[name=email]").fill("buyer@example.com")
    form.locator("button[type=submit]").click()
    page.wait_for_url("**/emulator/Merchant/Index.aspx")
    problems += blocking_violations(page, f"{language} emulator")
    page.locator("button.pay").click()
    page.wait_for_url("**/robokassa/success/**")
    problems += blocking_violations(page, f"{language} success page")
    page.goto(f"{live_server.url}{support.url}")
    page.locator("form.robokassa-pay").first.locator("input[name=email]").fill("b@example.com")
    page.locator("form.robokassa-pay").first.locator("button[type=submit]").click()
    page.wait_for_url("**/emulator/Merchant/Index.aspx")
    page.locator("button.decline").click()
    page.wait_for_url("**/robokassa/fail/**")
    problems += blocking_violations(page, f"{language} fail page")
    assert re.search(r'<html lang="(en|ru)"', page.content())
    context.close()
    assert problems == [], "\n".join(problems)
