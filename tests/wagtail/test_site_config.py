"""Which configuration applies: a Site's settings under Django settings, a callback's invoice's
Site, and no database read when Django settings configure everything."""

import pytest
from django.test import RequestFactory
from wagtail.models import Site

from tests.helpers import make_invoice
from wagtail_robokassa.models import RobokassaSettings
from wagtail_robokassa.services.config import config_for_callback, config_for_request, get_config

pytestmark = pytest.mark.django_db


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
