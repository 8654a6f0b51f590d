from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.utils import timezone
from wagtail.models import Site

from tests.helpers import make_invoice
from wagtail_robokassa.models import Invoice, InvoiceStatus, RobokassaSettings, SuccessNotification
from wagtail_robokassa.services.config import config_for_callback, config_for_request, get_config

pytestmark = pytest.mark.django_db


def age(invoice, days):
    Invoice.objects.filter(pk=invoice.pk).update(created_at=timezone.now() - timedelta(days=days))


def test_purge_deletes_only_stale_unpaid_invoices():
    stale = make_invoice()
    fresh = make_invoice()
    paid = make_invoice(status=InvoiceStatus.PAID)
    notified = make_invoice()
    SuccessNotification.objects.create(
        merchant_login="demo", inv_id=notified.pk, out_sum=Decimal(100), invoice=notified
    )
    for invoice in (stale, paid, notified):
        age(invoice, 40)
    age(fresh, 5)
    out = StringIO()
    call_command("robokassa_purge_invoices", "--days", "30", "--dry-run", stdout=out)
    assert "1 stale pending invoices would be deleted" in out.getvalue()
    assert Invoice.objects.count() == 4
    call_command("robokassa_purge_invoices", "--days", "30", stdout=StringIO())
    assert set(Invoice.objects.values_list("pk", flat=True)) == {fresh.pk, paid.pk, notified.pk}


def test_purge_refuses_a_nonsense_age():
    with pytest.raises(CommandError, match="at least 1"):
        call_command(
            "robokassa_purge_invoices", "--days", "0", stdout=StringIO(), stderr=StringIO()
        )


def test_site_settings_fill_what_django_settings_leave_open(admin_configured):
    site = Site.objects.get(is_default_site=True)
    RobokassaSettings.objects.create(site=site, login="site-shop", password1="p1", culture="en")
    admin_configured.ROBOKASSA_CULTURE = "ru"
    config = get_config(site)
    assert (config.login, config.password1, config.culture, config.site_id) == (
        "site-shop",
        "p1",
        "ru",
        site.pk,
    )
    assert get_config().login == ""


def test_callback_config_follows_the_invoice_site(admin_configured):
    from wagtail.models import Page

    default = Site.objects.get(is_default_site=True)
    other_root = Page.get_first_root_node().add_child(instance=Page(title="Other", slug="other"))
    other = Site.objects.create(hostname="other.test", root_page=other_root)
    RobokassaSettings.objects.create(site=default, login="default-shop")
    RobokassaSettings.objects.create(site=other, login="other-shop")
    invoice = make_invoice(site=other)
    request = RequestFactory().post("/robokassa/result/", HTTP_HOST="localhost")
    assert config_for_callback(request, invoice.pk).login == "other-shop"
    assert config_for_callback(request, 999_999).login == "default-shop"
    assert config_for_callback(request, None).login == "default-shop"
    assert config_for_request(request).login == "default-shop"


def test_callbacks_skip_the_database_when_django_settings_configure_everything(
    settings, django_assert_num_queries
):
    settings.ROBOKASSA_TEST_MODE = False
    settings.ROBOKASSA_HASH_ALGORITHM = "md5"
    request = RequestFactory().post("/robokassa/result/")
    with django_assert_num_queries(0):
        assert config_for_callback(request, 5).login == "demo"
