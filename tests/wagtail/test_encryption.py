"""Passwords are encrypted at rest: a dump of the table shows none, keys rotate, and a wrong key
is a clear error, never a 500."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import Client

from tests.helpers import result_params
from wagtail_robokassa.checks import check_stored_passwords
from wagtail_robokassa.crypto import UnreadableSecret
from wagtail_robokassa.models import RejectedRequest, RobokassaSettings, SuccessNotification
from wagtail_robokassa.rules import SECRET_FIELDS
from wagtail_robokassa.services.config import get_config
from wagtail_robokassa.services.secrets import stored_tokens

pytestmark = pytest.mark.django_db
PASSWORDS = {
    "password1": "live-one-Секрет",
    "password2": "live-two-secret",
    "test_password1": "test-one-secret",
    "test_password2": "test-two-secret",
    "password3": "refund-secret",
}


@pytest.fixture
def shop(admin_configured):
    from wagtail.models import Site

    site = Site.objects.get(is_default_site=True)
    return RobokassaSettings.objects.create(site=site, login="demo", **PASSWORDS)


def dump() -> str:
    table = connection.ops.quote_name(RobokassaSettings._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
        return repr(cursor.fetchall())


def test_a_dump_of_the_table_shows_no_password(shop):
    text = dump()
    for password in PASSWORDS.values():
        assert password not in text
    assert text.count("rbk1:") == len(PASSWORDS)
    shop.refresh_from_db()
    assert {name: getattr(shop, name) for name in PASSWORDS} == PASSWORDS


def test_each_save_gives_a_new_token_for_the_same_password(shop):
    before = stored_tokens()[shop.pk]["password2"]
    shop.save()
    assert stored_tokens()[shop.pk]["password2"] != before


def test_callbacks_verify_with_the_decrypted_password(shop, settings):
    settings.ROBOKASSA_TEST_MODE = False
    params = result_params(5, password=PASSWORDS["password2"])
    assert Client().post("/robokassa/result/", params).content == b"OK5"


def test_a_wrong_key_is_a_clear_retryable_error(shop, settings):
    settings.ROBOKASSA_ENCRYPTION_KEYS = ["a key that never encrypted anything"]
    config = get_config(shop.site)
    assert isinstance(config.password2, UnreadableSecret)
    response = Client().post("/robokassa/result/", result_params(5, password="x"))
    assert response.status_code == 500  # the site is at fault: ROBOKASSA retries
    rejection = RejectedRequest.objects.get()
    assert rejection.reason == "not_configured"
    assert "key" in rejection.detail
    assert SuccessNotification.objects.count() == 0
    assert [e.id for e in check_stored_passwords(databases=["default"])] == ["robokassa.E010"]


def test_the_settings_panel_says_so_and_an_unrelated_save_keeps_the_token(shop, settings, client):
    from django.contrib.auth import get_user_model

    tokens = stored_tokens()[shop.pk]
    settings.ROBOKASSA_ENCRYPTION_KEYS = ["another key"]
    client.force_login(get_user_model().objects.create_superuser("a", "a@example.com", "pw"))
    url = f"/admin/settings/wagtail_robokassa/robokassasettings/{shop.site_id}/"
    page = client.get(url)
    assert page.status_code == 200
    assert "Stored with an encryption key this server no longer has" in page.content.decode()
    shop.refresh_from_db()
    shop.culture = "en"
    shop.save()
    assert stored_tokens()[shop.pk] == tokens


def test_rotation_with_a_key_list(shop, settings):
    old = stored_tokens()[shop.pk]
    settings.ROBOKASSA_ENCRYPTION_KEYS = ["the new key", settings.SECRET_KEY]
    shop.refresh_from_db()
    assert shop.password2 == PASSWORDS["password2"]  # the old key still decrypts
    out = io.StringIO()
    call_command("robokassa_reencrypt", stdout=out)
    assert "1 site(s)" in out.getvalue()
    assert all(stored_tokens()[shop.pk][name] != old[name] for name in SECRET_FIELDS)
    settings.ROBOKASSA_ENCRYPTION_KEYS = ["the new key"]  # the old key is dropped
    shop.refresh_from_db()
    assert {name: getattr(shop, name) for name in PASSWORDS} == PASSWORDS
    out = io.StringIO()
    call_command("robokassa_reencrypt", stdout=out)
    assert "0 site(s)" in out.getvalue()


def test_rotation_of_the_secret_key(shop, settings):
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a brand new secret key for this site, long enough"
    shop.refresh_from_db()
    assert shop.password1 == PASSWORDS["password1"]
    call_command("robokassa_reencrypt", stdout=io.StringIO())
    settings.SECRET_KEY_FALLBACKS = []
    shop.refresh_from_db()
    assert shop.password1 == PASSWORDS["password1"]


def test_reencrypt_reports_what_no_key_opens(shop, settings):
    settings.ROBOKASSA_ENCRYPTION_KEYS = ["unrelated"]
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 site"):
        call_command("robokassa_reencrypt", stdout=io.StringIO(), stderr=err)
    assert "password1" in err.getvalue()


def test_rows_stored_before_encryption_are_encrypted_by_the_migration(shop):
    import importlib

    from django.apps import apps
    from django.db import connection as conn

    module = importlib.import_module("wagtail_robokassa.migrations.0003_encrypted_passwords")
    table = conn.ops.quote_name(RobokassaSettings._meta.db_table)
    with conn.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET password2 = %s", ["plain-before-upgrade"])  # noqa: S608
    shop.refresh_from_db()
    assert shop.password2 == "plain-before-upgrade"  # readable during the upgrade

    class Editor:
        connection = conn

    module.encrypt_stored_passwords(apps, Editor())
    assert "plain-before-upgrade" not in dump()
    shop.refresh_from_db()
    assert shop.password2 == "plain-before-upgrade"
    module.decrypt_stored_passwords(apps, Editor())
    assert "plain-before-upgrade" in dump()


@pytest.mark.parametrize("keys", [[""], [None], [123]])
def test_a_bad_key_setting_is_a_system_check_error(settings, keys):
    from django.core.checks import run_checks

    settings.ROBOKASSA_ENCRYPTION_KEYS = keys
    assert "robokassa.E011" in [message.id for message in run_checks(tags=["wagtail_robokassa"])]


def test_the_stored_password_check_waits_for_the_table(shop, settings, monkeypatch):
    """``migrate`` runs database checks before this app's tables exist."""
    settings.ROBOKASSA_ENCRYPTION_KEYS = ["unrelated"]
    assert check_stored_passwords(databases=["default"])
    monkeypatch.setattr(connection.introspection, "table_names", lambda *args, **kwargs: [])
    assert check_stored_passwords(databases=["default"]) == []
