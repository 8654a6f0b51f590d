"""Editing ROBOKASSA settings through the real Wagtail admin views."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from wagtail.log_actions import registry as log_registry
from wagtail.models import Site

from wagtail_robokassa.models import RobokassaSettings
from wagtail_robokassa.services.config import get_config

pytestmark = pytest.mark.django_db
SECRETS = {
    "password1": "s3cret-live-one",
    "password2": "s3cret-live-two",
    "test_password1": "s3cret-test-one",
    "test_password2": "s3cret-test-two",
    "password3": "s3cret-refunds",
}


@pytest.fixture
def admin(client):
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def site():
    return Site.objects.get(is_default_site=True)


def edit_url(site):
    return reverse("wagtailsettings:edit", args=["wagtail_robokassa", "robokassasettings", site.pk])


def form_data(**overrides):
    data = {
        "login": "my-shop",
        "host": "auth.robokassa.ru",
        "algorithm": "sha256",
        "culture": "ru",
        "strict_check": "on",
        "receipt_sno": "",
        "receipt_tax": "none",
        "receipt_payment_method": "full_payment",
        "receipt_payment_object": "commodity",
        **SECRETS,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def assert_no_secret(html):
    for secret in SECRETS.values():
        assert secret not in html


def test_edit_page_shows_the_cabinet_urls_and_the_mode(admin, site, admin_configured):
    html = admin.get(edit_url(site)).content.decode()
    assert "http://localhost/robokassa/result/" in html
    assert "http://localhost/robokassa/success/" in html
    assert "http://localhost/robokassa/fail/" in html
    assert "Live mode" in html
    assert "Not set." in html


def test_saving_stores_secrets_and_never_shows_them_back(admin, site, admin_configured):
    response = admin.post(edit_url(site), form_data())
    assert response.status_code == 302
    row = RobokassaSettings.objects.get(site=site)
    assert {name: getattr(row, name) for name in SECRETS} == SECRETS
    html = admin.get(edit_url(site)).content.decode()
    assert_no_secret(html)
    assert "Stored. Leave blank to keep it." in html
    assert "Not set." not in html  # every secret is stored
    config = get_config(site)
    assert (config.login, config.password2, config.algorithm) == (
        "my-shop",
        SECRETS["password2"],
        "sha256",
    )


def test_blank_keeps_and_clear_clears(admin, site, admin_configured):
    admin.post(edit_url(site), form_data())
    blanks = dict.fromkeys(SECRETS, "")
    assert admin.post(edit_url(site), form_data(**blanks)).status_code == 302
    row = RobokassaSettings.objects.get(site=site)
    assert row.password1 == SECRETS["password1"]
    assert (
        admin.post(edit_url(site), form_data(**blanks, **{"password3-clear": "1"})).status_code
        == 302
    )
    row.refresh_from_db()
    assert row.password3 == ""
    assert row.password2 == SECRETS["password2"]


def test_no_secret_after_a_validation_error_elsewhere(admin, site, admin_configured):
    response = admin.post(
        edit_url(site), form_data(test_mode="on", test_password1="", test_password2="")
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Test mode needs the test Password" in html
    assert_no_secret(html)
    assert not RobokassaSettings.objects.filter(site=site, login="my-shop").exists()


def test_login_is_required_once_a_password_is_entered(admin, site, admin_configured):
    response = admin.post(edit_url(site), form_data(login=""))
    assert response.status_code == 200
    assert "Enter the merchant login" in response.content.decode()


def test_an_algorithm_this_server_cannot_compute_is_refused(
    admin, site, admin_configured, monkeypatch
):
    import wagtail_robokassa.rules as module

    monkeypatch.setattr(module, "algorithm_available", lambda name: name != "ripemd160")
    response = admin.post(edit_url(site), form_data(algorithm="ripemd160"))
    assert response.status_code == 200
    assert "cannot compute ripemd160" in response.content.decode()


def test_test_mode_is_shown_prominently(admin, site, admin_configured):
    admin.post(edit_url(site), form_data(test_mode="on"))
    assert "Test mode</strong>" in admin.get(edit_url(site)).content.decode()


def test_django_settings_fields_are_locked(admin, site, settings):
    """tests/settings.py sets the login and the four passwords."""
    html = admin.get(edit_url(site)).content.decode()
    assert "Set in server configuration (ROBOKASSA_LOGIN)" in html
    assert "Stored in server configuration" in html
    assert settings.ROBOKASSA_PASSWORD1 not in html
    assert settings.ROBOKASSA_TEST_PASSWORD2 not in html
    response = admin.post(edit_url(site), form_data(login="hijack", password3="refund-pass"))
    assert response.status_code == 302
    row = RobokassaSettings.objects.get(site=site)
    assert row.login == ""  # the locked field is not written
    assert row.password1 == ""
    assert row.password3 == "refund-pass"  # not locked
    config = get_config(site)
    assert (config.login, config.password1) == ("demo", settings.ROBOKASSA_PASSWORD1)
    assert config.password3 == "refund-pass"
    assert config.algorithm == "sha256"


def test_log_entries_hold_no_secret(admin, site, admin_configured):
    admin.post(edit_url(site), form_data())
    entries = log_registry.get_logs_for_instance(RobokassaSettings.objects.get(site=site))
    assert entries.exists()
    for entry in entries:
        assert_no_secret(str(entry.data) + str(entry.label))


def test_settings_menu_item(admin, site):
    html = admin.get(reverse("wagtailadmin_home")).content.decode()
    assert "/admin/settings/wagtail_robokassa/robokassasettings/" in html
    assert admin.get("/admin/settings/wagtail_robokassa/robokassasettings/").status_code == 302


# One set of rules: what `manage.py check` refuses in Django settings, the form refuses too.
RULE_CASES = [
    ("E001", {"login": ""}),
    ("E002", {"password1": None, "password1-clear": "1"}),
    ("E003", {"password2": None, "password2-clear": "1"}),
    ("E004", {"test_mode": "on", "test_password2": None, "test_password2-clear": "1"}),
    ("E007", {"test_password1": SECRETS["password1"]}),
]
SETTING_OF = {
    "login": "ROBOKASSA_LOGIN",
    "password1": "ROBOKASSA_PASSWORD1",
    "password2": "ROBOKASSA_PASSWORD2",
    "test_password1": "ROBOKASSA_TEST_PASSWORD1",
    "test_password2": "ROBOKASSA_TEST_PASSWORD2",
    "test_mode": "ROBOKASSA_TEST_MODE",
}


@pytest.mark.parametrize(("rule", "overrides"), RULE_CASES, ids=[case[0] for case in RULE_CASES])
def test_the_form_and_the_system_check_refuse_the_same(
    admin, site, settings, admin_configured, rule, overrides
):
    from django.core.checks import run_checks

    response = admin.post(edit_url(site), form_data(**overrides))
    assert response.status_code == 200, "the form accepted it"
    assert not RobokassaSettings.objects.filter(site=site, login="my-shop").exists()

    values = {"login": "my-shop", **SECRETS, "test_mode": False}
    for name, value in overrides.items():
        if name.endswith("-clear"):
            continue
        values[name] = {None: "", "on": True}.get(value, value)
    for name, setting in SETTING_OF.items():
        setattr(settings, setting, values[name])
    assert f"robokassa.{rule}" in [message.id for message in run_checks(tags=["wagtail_robokassa"])]


def test_a_shop_in_test_mode_needs_no_live_passwords_yet(admin, site, admin_configured):
    """ROBOKASSA gives the test pair first, before the shop is activated."""
    data = form_data(test_mode="on", password1=None, password2=None, password3=None)
    assert admin.post(edit_url(site), data).status_code == 302
    row = RobokassaSettings.objects.get(site=site)
    assert (row.test_mode, row.password1, row.test_password1) == (True, "", "s3cret-test-one")


def test_each_password_box_announces_its_state_and_each_clear_box_names_its_password(
    admin, site, admin_configured
):
    """Screen readers hear "Stored…" / "Not set." with the box itself, and the "clear" boxes
    do not all share one name."""
    import re

    RobokassaSettings.objects.create(site=site, login="my-shop", password1="kept-one")
    html = admin.get(edit_url(site)).content.decode()
    for name in ("password1", "password2", "test_password1", "test_password2"):
        box = re.search(rf'<input[^>]*name="{name}"[^>]*>', html).group(0)
        described = re.search(r'aria-describedby="([^"]*)"', box).group(1).split()
        assert f"id_{name}-state" in described
        assert f'id="id_{name}-state"' in html
    RobokassaSettings.objects.filter(site=site).update(password2="kept-two")
    html = admin.get(edit_url(site)).content.decode()
    clears = re.findall(r'<label class="robokassa-secret-clear">(.*?)</label>', html, re.S)
    names = [" ".join(re.sub(r"<[^>]+>", " ", clear).split()) for clear in clears]
    assert len(names) == 2
    assert len(set(names)) == 2  # each says which password it clears
    assert all(name.startswith("Clear the stored value") for name in names)
