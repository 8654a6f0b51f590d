"""A shop configured in Settings → ROBOKASSA: callbacks verify with the process's copy of its
configuration (no query for it), and never with a stale one. Every change to the settings row
(whatever wrote it, in whatever process) applies to the very next delivery.

The changes below are made with ``QuerySet.update()``, which sends no ``post_save`` to this
process: exactly what a save in another worker process looks like from here.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from wagtail.models import Page, Site

from tests.helpers import forget_settings, result_params, success_params
from wagtail_robokassa.models import Invoice, RobokassaSettings, SuccessNotification
from wagtail_robokassa.services import config as configs

pytestmark = [pytest.mark.django_db, pytest.mark.postgres]

OLD, NEW = "old-password-2", "new-password-2"
P1 = "password-1"


@pytest.fixture
def panel_shop(admin_configured, settings):
    """The merchant only in the panel; the fast path (one statement) in force."""
    present = [
        n for n in ("ROBOKASSA_TEST_MODE", "ROBOKASSA_HASH_ALGORITHM") if hasattr(settings, n)
    ]
    forget_settings(settings, *present)
    settings.ROBOKASSA_WRITE_PATH = "one_statement"
    configs.forget_kept_configs()
    site = Site.objects.get(is_default_site=True)
    return RobokassaSettings.objects.create(
        site=site, login="panel-shop", password1=P1, password2=OLD, test_password2="test-2"
    )


def deliver(client, inv_id, **signing):
    return client.post("/robokassa/result/", result_params(inv_id, **signing))


def warm(client, inv_id=1, password=OLD):
    answer = deliver(client, inv_id, password=password)
    assert answer.content == f"OK{inv_id}".encode()


def test_a_kept_configuration_costs_no_query(client, panel_shop):
    warm(client)
    with CaptureQueriesContext(connection) as queries:
        assert deliver(client, 2, password=OLD).content == b"OK2"
    assert len(queries) == 1, [q["sql"][:80] for q in queries]
    assert SuccessNotification.objects.get(inv_id=2).merchant_login == "panel-shop"


def test_a_rotated_password_applies_to_the_next_delivery(client, panel_shop):
    warm(client)
    RobokassaSettings.objects.filter(pk=panel_shop.pk).update(password2=NEW)
    refused = deliver(client, 2, password=OLD)
    assert refused.status_code == 400
    assert b"bad_signature" in refused.content
    assert not SuccessNotification.objects.filter(inv_id=2).exists()
    assert deliver(client, 3, password=NEW).content == b"OK3"
    assert deliver(client, 4, password=OLD).status_code == 400


def test_a_new_password_verifies_before_the_copy_is_refreshed(client, panel_shop):
    warm(client)
    RobokassaSettings.objects.filter(pk=panel_shop.pk).update(password2=NEW)
    assert deliver(client, 2, password=NEW).content == b"OK2"


def test_switching_test_mode_applies_to_the_next_delivery(client, panel_shop):
    warm(client)
    assert deliver(client, 2, password="test-2", is_test=True).status_code == 400
    RobokassaSettings.objects.filter(pk=panel_shop.pk).update(test_mode=True)
    assert deliver(client, 3, password="test-2", is_test=True).content == b"OK3"
    RobokassaSettings.objects.filter(pk=panel_shop.pk).update(test_mode=False)
    assert deliver(client, 4, password="test-2", is_test=True).status_code == 400


def test_a_changed_login_is_the_one_recorded(client, panel_shop):
    warm(client)
    RobokassaSettings.objects.filter(pk=panel_shop.pk).update(login="renamed-shop")
    assert deliver(client, 2, password=OLD).content == b"OK2"
    assert SuccessNotification.objects.get(inv_id=2).merchant_login == "renamed-shop"


def test_a_changed_algorithm_applies_to_the_next_delivery(client, panel_shop):
    warm(client)
    RobokassaSettings.objects.filter(pk=panel_shop.pk).update(algorithm="sha256")
    assert deliver(client, 2, password=OLD).status_code == 400  # still signed with MD5
    assert deliver(client, 3, password=OLD, algorithm="sha256").content == b"OK3"


def test_a_copy_signed_by_the_old_password_is_refused_even_when_the_copy_verified(
    client, panel_shop
):
    """The copy still holds the old password, so the old signature verifies against it: only
    the write's guard can refuse it."""
    warm(client)
    kept = configs._configs_by_site[panel_shop.site_id]
    RobokassaSettings.objects.filter(pk=panel_shop.pk).update(password2=NEW)
    assert configs._configs_by_site[panel_shop.site_id] == kept  # nothing told this process
    with CaptureQueriesContext(connection) as queries:
        assert deliver(client, 2, password=OLD).status_code == 400
    assert any("guard_holds" in q["sql"] or "EXECUTE" in q["sql"] for q in queries)
    assert not SuccessNotification.objects.filter(inv_id=2).exists()


def test_a_host_given_to_another_site_uses_that_sites_settings(client, panel_shop):
    warm(client)  # the test client's host falls back to the default Site
    root = Page.get_first_root_node().add_child(instance=Page(title="Other", slug="other"))
    other = Site.objects.bulk_create([Site(hostname="testserver", root_page=root)])[0]
    RobokassaSettings.objects.bulk_create(
        [RobokassaSettings(site=other, login="other-shop", password2="other-2")]
    )
    assert deliver(client, 2, password=OLD).status_code == 400
    assert deliver(client, 3, password="other-2").content == b"OK3"
    assert SuccessNotification.objects.get(inv_id=3).merchant_login == "other-shop"


def test_an_invoice_of_the_kept_site_does_not_depend_on_what_the_host_means(client, panel_shop):
    """The invoice's own Site's settings apply whatever Site the request's host means now: the
    kept copy still holds, with no query to read the settings again."""
    warm(client, inv_id=9001)
    invoice = Invoice.objects.create(site=panel_shop.site, merchant_login="panel-shop", amount=100)
    root = Page.get_first_root_node().add_child(instance=Page(title="Other", slug="other"))
    other = Site.objects.bulk_create([Site(hostname="testserver", root_page=root)])[0]
    RobokassaSettings.objects.bulk_create(
        [RobokassaSettings(site=other, login="other-shop", password2="other-2")]
    )
    with CaptureQueriesContext(connection) as queries:
        answer = deliver(client, invoice.pk, password=OLD)
    assert answer.content == f"OK{invoice.pk}".encode()
    assert len(queries) == 1, [q["sql"][:80] for q in queries]
    assert SuccessNotification.objects.get(inv_id=invoice.pk).merchant_login == "panel-shop"
    assert deliver(client, 9002, password=OLD).status_code == 400  # no invoice: the host's


def test_an_invoice_of_another_site_is_verified_with_that_sites_settings(client, panel_shop):
    warm(client)
    root = Page.get_first_root_node().add_child(instance=Page(title="Other", slug="other"))
    other = Site.objects.create(hostname="other.test", root_page=root)
    RobokassaSettings.objects.create(site=other, login="other-shop", password2="other-2")
    invoice = Invoice.objects.create(site=other, merchant_login="other-shop", amount=100)
    assert deliver(client, invoice.pk, password="other-2").content == f"OK{invoice.pk}".encode()
    invoice.refresh_from_db()
    assert invoice.status == "paid"


def visit_success(client, inv_id, password):
    return client.get("/robokassa/success/", success_params(inv_id, password=password))


def test_the_success_url_confirms_a_kept_copy_before_trusting_it(client, panel_shop, success_log):
    warm(client)
    assert visit_success(client, 1, P1).status_code == 200  # the copy is kept from here on
    RobokassaSettings.objects.filter(pk=panel_shop.pk).update(password1="rotated-1")
    assert visit_success(client, 1, P1).status_code == 400
    assert len(success_log) == 1
    warm(client, 2)
    assert visit_success(client, 2, "rotated-1").status_code == 200
    assert len(success_log) == 2


def test_a_kept_success_costs_one_query_for_its_configuration(client, panel_shop):
    warm(client)
    visit_success(client, 1, P1)
    warm(client, 2)
    with CaptureQueriesContext(connection) as queries:
        assert visit_success(client, 2, P1).status_code == 200
    configuration = [q["sql"] for q in queries if "robokassasettings" in q["sql"]]
    assert len(configuration) == 1, configuration  # the guard, not the three lookups
    assert "guard_holds" in configuration[0]


def test_every_write_changes_the_revision(panel_shop):
    revisions = {panel_shop.revision}
    panel_shop.culture = "en"
    panel_shop.save(update_fields=["culture"])
    panel_shop.refresh_from_db()
    revisions.add(panel_shop.revision)
    RobokassaSettings.objects.filter(pk=panel_shop.pk).update(culture="ru")
    revisions.add(RobokassaSettings.objects.get(pk=panel_shop.pk).revision)
    panel_shop.refresh_from_db()
    panel_shop.save()
    revisions.add(RobokassaSettings.objects.get(pk=panel_shop.pk).revision)
    assert len(revisions) == 4


@pytest.fixture
def second_worker(transactional_db, default_site):
    """Another process serving the Result URL on the same (committed) test database."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    database = connection.settings_dict
    url = (
        f"postgres://{database['USER']}:{database['PASSWORD'] or ''}@{database['HOST']}:"
        f"{database['PORT']}/{database['NAME']}"
    )
    root = Path(__file__).resolve().parents[2]
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.wagtail.worker"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={
            **os.environ,
            "DATABASE_URL": url,
            "PYTHONPATH": os.pathsep.join([str(root), str(root / "sandbox")]),
        },
    )

    def deliver_there(inv_id, **signing):
        process.stdin.write(json.dumps(result_params(inv_id, **signing)) + "\n")
        process.stdin.flush()
        status, _, body = process.stdout.readline().partition(" ")
        return int(status), body.strip()

    yield deliver_there
    process.stdin.close()
    process.wait(timeout=30)


def test_two_processes_never_verify_with_a_stale_password(
    client, admin_configured, default_site, second_worker
):
    """Both processes keep the shop's configuration; the panel saves a new password in this
    one; the other must refuse the old password from its very next delivery on."""
    shop = RobokassaSettings.objects.create(site=default_site, login="panel-shop", password2=OLD)
    assert second_worker(1, password=OLD) == (200, "OK1")
    assert second_worker(2, password=OLD) == (200, "OK2")  # from the kept copy
    warm(client, 3)
    for number, (old, new) in enumerate([(OLD, NEW), (NEW, "newer-password-2")]):
        shop.password2 = new
        shop.save()  # as the panel does; only this process hears of it
        inv_id = 10 * (number + 1)
        assert second_worker(inv_id, password=old)[0] == 400
        assert deliver(client, inv_id + 1, password=old).status_code == 400
        assert second_worker(inv_id + 2, password=new) == (200, f"OK{inv_id + 2}")
        assert deliver(client, inv_id + 3, password=new).content == f"OK{inv_id + 3}".encode()
    shop.test_mode = True
    shop.test_password2 = "test-2"
    shop.save()
    assert second_worker(40, password="test-2", is_test=True) == (200, "OK40")
    paid = set(SuccessNotification.objects.values_list("inv_id", flat=True))
    assert paid == {1, 2, 3, 12, 13, 22, 23, 40}


def test_loading_a_fixture_changes_the_revision(panel_shop):
    """``loaddata`` saves raw (no ``save()``): the revision still changes."""
    from django.core import serializers

    dumped = serializers.serialize("json", [panel_shop])
    before = panel_shop.revision
    for obj in serializers.deserialize("json", dumped):
        obj.save()
    assert RobokassaSettings.objects.get(pk=panel_shop.pk).revision != before
