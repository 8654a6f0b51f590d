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
    assert text.count("rbk2:") == len(PASSWORDS)
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


def write_raw(**values):
    table = connection.ops.quote_name(RobokassaSettings._meta.db_table)
    columns = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in values)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {columns}", list(values.values()))  # noqa: S608


class Editor:
    connection = connection


def migration_0012():
    import importlib

    return importlib.import_module("wagtail_robokassa.migrations.0012_bound_password_tokens")


def test_a_value_stored_without_encryption_is_refused_until_the_migration_binds_it(shop):
    from django.apps import apps

    from wagtail_robokassa.crypto import fernet

    legacy = "rbk1:" + fernet().encrypt(b"from-an-unbound-token").decode()
    write_raw(password2="plain-before-upgrade", password1=legacy)
    shop.refresh_from_db()
    assert isinstance(shop.password2, UnreadableSecret)  # never used as the password it holds
    assert isinstance(shop.password1, UnreadableSecret)  # an unbound token is no better
    assert isinstance(get_config(shop.site).password2, UnreadableSecret)

    migration_0012().bind_tokens(apps, Editor())
    assert "plain-before-upgrade" not in dump()
    shop.refresh_from_db()
    assert (shop.password2, shop.password1) == ("plain-before-upgrade", "from-an-unbound-token")
    assert shop.password3 == PASSWORDS["password3"]  # bound tokens are left as they are
    before = dump()
    migration_0012().bind_tokens(apps, Editor())  # once: a second run changes nothing
    assert dump() == before

    migration_0012().unbind_tokens(apps, Editor())
    assert dump().count("rbk1:") == len(PASSWORDS)
    migration_0012().bind_tokens(apps, Editor())
    shop.refresh_from_db()
    assert {name: getattr(shop, name) for name in PASSWORDS} == {
        **PASSWORDS,
        "password1": "from-an-unbound-token",
        "password2": "plain-before-upgrade",
    }


def test_a_token_copied_to_another_sites_row_or_field_opens_nothing(shop):
    from wagtail.models import Site

    other_site = Site.objects.create(hostname="other.example", root_page=shop.site.root_page)
    other = RobokassaSettings.objects.create(site=other_site, login="other", password2="theirs")
    token = stored_tokens()[shop.pk]["password2"]
    table = connection.ops.quote_name(RobokassaSettings._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET password2 = %s WHERE id = %s", [token, other.pk])  # noqa: S608
        cursor.execute(f"UPDATE {table} SET password1 = %s WHERE id = %s", [token, shop.pk])  # noqa: S608
    other.refresh_from_db()
    shop.refresh_from_db()
    assert isinstance(other.password2, UnreadableSecret)  # Site 1's Password #2 in Site 2's row
    assert isinstance(shop.password1, UnreadableSecret)  # Password #2 in the Password #1 field
    assert shop.password2 == PASSWORDS["password2"]  # where it was written, it still opens
    assert isinstance(get_config(other_site).password2, UnreadableSecret)


def test_dumpdata_holds_no_password_and_loads_back(shop, tmp_path):
    import json

    out = io.StringIO()
    call_command("dumpdata", "wagtail_robokassa.robokassasettings", stdout=out)
    text = out.getvalue()
    for password in PASSWORDS.values():
        assert password not in text
        assert json.dumps(password)[1:-1] not in text  # nor escaped
    (fields,) = [row["fields"] for row in json.loads(text)]
    assert all(fields[name].startswith("rbk2:") for name in PASSWORDS)

    fixture = tmp_path / "shop.json"
    fixture.write_text(text)
    RobokassaSettings.objects.all().delete()
    call_command("loaddata", str(fixture), verbosity=0)
    loaded = RobokassaSettings.objects.get()
    assert {name: getattr(loaded, name) for name in PASSWORDS} == PASSWORDS
    assert "rbk2:" in dump()
    for password in PASSWORDS.values():
        assert password not in dump()


def test_a_dump_loads_only_where_the_keys_are(shop, tmp_path, settings):
    out = io.StringIO()
    call_command("dumpdata", "wagtail_robokassa.robokassasettings", stdout=out)
    fixture = tmp_path / "shop.json"
    fixture.write_text(out.getvalue())
    RobokassaSettings.objects.all().delete()
    settings.ROBOKASSA_ENCRYPTION_KEYS = ["another server's key"]
    call_command("loaddata", str(fixture), verbosity=0)
    assert isinstance(RobokassaSettings.objects.get().password2, UnreadableSecret)
    settings.ROBOKASSA_ENCRYPTION_KEYS = None
    assert RobokassaSettings.objects.get().password2 == PASSWORDS["password2"]  # kept as it was


def test_a_bulk_update_binds_each_rows_token(shop):
    from wagtail.models import Site

    other_site = Site.objects.create(hostname="other.example", root_page=shop.site.root_page)
    RobokassaSettings.objects.create(site=other_site, login="other")
    assert RobokassaSettings.objects.update(password2="the-same-for-all") == 2
    rows = list(RobokassaSettings.objects.all())
    assert [row.password2 for row in rows] == ["the-same-for-all"] * 2
    tokens = [stored_tokens()[row.pk]["password2"] for row in rows]
    assert tokens[0] != tokens[1]
    with pytest.raises(ValueError, match="plain value is refused"):
        RobokassaSettings._base_manager.update(password1="written around the binding")


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


def test_a_row_pickles_and_copies_with_its_passwords(shop, settings):
    import copy
    import pickle

    shop.refresh_from_db()
    assert shop.password2 == PASSWORDS["password2"]  # opened
    for twin in (pickle.loads(pickle.dumps(shop)), copy.deepcopy(shop)):  # noqa: S301 - ours
        assert {name: getattr(twin, name) for name in PASSWORDS} == PASSWORDS
        twin.save()  # still writes tokens for its row
    settings.ROBOKASSA_ENCRYPTION_KEYS = ["another key"]
    shop.refresh_from_db()
    lost = pickle.loads(pickle.dumps(shop))  # noqa: S301 - bytes we just made
    assert isinstance(lost.password2, UnreadableSecret)
    assert lost.password2.stored == stored_tokens()[shop.pk]["password2"]
