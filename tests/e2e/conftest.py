"""Real-browser tests: Playwright driving Debian's Chromium against a live server."""

from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.helpers import forget_settings

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
ADMIN_PASSWORD = "e2e-admin-password"


@pytest.fixture
def page(browser, request):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{request.node.name}-last.png", full_page=True)
    context.close()


def shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=ARTIFACTS / f"{name}.png", full_page=True)


@pytest.fixture
def shop(settings, transactional_db, live_server):
    """A site whose home page is the sandbox's HomePage, an admin, and no ROBOKASSA secrets in
    Django settings (the admin holds them, as in the sandbox)."""
    from demo.home.models import HomePage
    from django.contrib.auth import get_user_model
    from wagtail.models import Locale, Page, Site

    names = ("LOGIN", "PASSWORD1", "PASSWORD2", "TEST_PASSWORD1", "TEST_PASSWORD2")
    forget_settings(settings, *(f"ROBOKASSA_{name}" for name in names))
    settings.ROBOKASSA_TEST_FORM_TARGET = "/emulator/Merchant/Index.aspx"
    Locale.objects.get_or_create(language_code="en")
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    home = HomePage(title="Demo shop", slug="e2e-home")
    root.add_child(instance=home)
    home.save_revision().publish()
    Site.objects.all().delete()
    port = urlsplit(live_server.url).port  # the emulator notifies the Site's own root URL
    site = Site.objects.create(
        hostname="localhost", port=port, root_page=home, is_default_site=True
    )
    get_user_model().objects.create_superuser("admin", "admin@example.com", ADMIN_PASSWORD)
    return {"home": home, "site": site}


def configure_test_shop(site, **more):
    from wagtail_robokassa.models import RobokassaSettings

    RobokassaSettings.objects.update_or_create(
        site=site,
        defaults={
            "login": "e2e-shop",
            "password1": "e2e-live-1",
            "password2": "e2e-live-2",
            "test_password1": "e2e-test-1",
            "test_password2": "e2e-test-2",
            "test_mode": True,
            "algorithm": "sha256",
            **more,
        },
    )


def payment_page(home):
    from demo.home.models import HomePage

    page = HomePage(
        title="Support us",
        slug="support",
        body=[
            ("payment", {"description": "Annual subscription", "amount": Decimal("990.00"),
                         "ask_email": True, "button_label": "Subscribe"}),
            ("payment", {"description": "Donation", "buyer_chooses_amount": True,
                         "min_amount": Decimal("100.00"), "button_label": "Donate"}),
        ],
    )  # fmt: skip
    home.add_child(instance=page)
    page.save_revision().publish()
    return page


def log_in(page, live_server):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
