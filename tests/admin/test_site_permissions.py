"""Per-Site permissions (``ROBOKASSA_PERMISSIONS_PER_SITE``): staff of one Site neither see,
export, inspect nor act on another Site's payments; off by default; superusers see all; the
group page names the Sites."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from wagtail.models import GroupSitePermission, Page, Site

from tests.admin.conftest import make_user
from tests.helpers import make_invoice
from wagtail_robokassa.models import InvoiceStatus, Refund, RefundState, SuccessNotification

pytestmark = pytest.mark.django_db
PERMISSIONS = (
    "view_invoice",
    "export_invoice",
    "check_invoice",
    "refund_invoice",
    "send_final_receipt_invoice",
    "view_successnotification",
    "view_refund",
)


@pytest.fixture
def two_shops(settings):
    settings.ROBOKASSA_PERMISSIONS_PER_SITE = True
    settings.ROBOKASSA_STATUS_URL = "http://127.0.0.1:9/OpStateExt"  # never reached here
    settings.ROBOKASSA_PASSWORD3 = "refund-password-3"
    first = Site.objects.get(is_default_site=True)
    second = Site.objects.create(hostname="second.example", root_page=Page.objects.get(depth=1))
    ours = make_invoice("100.00", site=first, status=InvoiceStatus.PAID, is_test=True)
    theirs = make_invoice("200.00", site=second, status=InvoiceStatus.PAID, is_test=True)
    for invoice in (ours, theirs):
        SuccessNotification.objects.create(
            merchant_login="demo", inv_id=invoice.pk, out_sum=invoice.amount, invoice=invoice
        )
        Refund.objects.create(invoice=invoice, amount=Decimal("1.00"), state=RefundState.UNKNOWN)
    return first, second, ours, theirs


def staff_of(client, site):
    user = make_user("staff", *PERMISSIONS)
    group = user.groups.get()
    permission = Permission.objects.get(
        content_type__app_label="wagtail_robokassa", codename="view_invoice"
    )
    GroupSitePermission.objects.create(group=group, site=site, permission=permission)
    client.force_login(user)
    return client


def test_listings_and_exports_show_only_the_staffs_sites(client, two_shops):
    first, _, ours, theirs = two_shops
    staff_of(client, first)
    payments = client.get("/admin/robokassa_payments/").content.decode()
    assert f"/robokassa_payments/inspect/{ours.pk}/" in payments
    assert f"/robokassa_payments/inspect/{theirs.pk}/" not in payments
    exported = client.get("/admin/robokassa_payments/export/csv/")
    text = (
        b"".join(exported.streaming_content).decode()
        if exported.streaming
        else exported.content.decode()
    )
    assert "100.00" in text
    assert "200.00" not in text
    notifications = client.get("/admin/robokassa_notifications/").content.decode()
    for notification in SuccessNotification.objects.all():
        shown = f"/robokassa_notifications/inspect/{notification.pk}/" in notifications
        assert shown == (notification.invoice_id == ours.pk)
    refunds = client.get("/admin/robokassa_refunds/").content.decode()
    for refund in Refund.objects.all():
        assert (f"/robokassa_refunds/inspect/{refund.pk}/" in refunds) == (
            refund.invoice_id == ours.pk
        )


def test_another_sites_payment_cannot_be_inspected_or_acted_on(client, two_shops):
    first, _, ours, theirs = two_shops
    staff_of(client, first)
    assert client.get(f"/admin/robokassa_payments/inspect/{ours.pk}/").status_code == 200
    assert client.get(f"/admin/robokassa_payments/inspect/{theirs.pk}/").status_code == 404
    refund = Refund.objects.get(invoice=theirs)
    for path in (
        f"check/{theirs.pk}/",
        f"refund/{theirs.pk}/",
        f"final-receipt/{theirs.pk}/",
        f"refund-state/{refund.pk}/",
        f"refund-settle/{refund.pk}/",
    ):
        response = client.post(f"/admin/robokassa_payments/{path}", {"not_made": "1"})
        assert response.status_code in (302, 403), path
        if response.status_code == 302:
            assert response.url == "/admin/", path  # Wagtail's "no permission"
    refund.refresh_from_db()
    assert refund.state == RefundState.UNKNOWN  # not settled by staff of another Site
    theirs.refresh_from_db()
    assert theirs.checks == 0


def test_the_dashboard_counts_only_the_staffs_refunds_and_hides_every_sites_takings(
    client, two_shops
):
    first, *_ = two_shops
    staff_of(client, first)
    html = client.get("/admin/").content.decode()
    assert "1 refund may or may not have reached ROBOKASSA" in " ".join(html.split())
    assert "ROBOKASSA: takings" not in html


def test_off_by_default_and_superusers_see_all(client, two_shops, settings, admin_user):
    _, _, ours, theirs = two_shops
    client.force_login(admin_user)
    payments = client.get("/admin/robokassa_payments/").content.decode()
    assert f"/inspect/{ours.pk}/" in payments
    assert f"/inspect/{theirs.pk}/" in payments
    settings.ROBOKASSA_PERMISSIONS_PER_SITE = False
    client.force_login(make_user("global", *PERMISSIONS))  # no Site given: all of them
    payments = client.get("/admin/robokassa_payments/").content.decode()
    assert f"/inspect/{ours.pk}/" in payments
    assert f"/inspect/{theirs.pk}/" in payments


def test_the_group_page_names_the_sites(client, two_shops, admin_user):
    from wagtail_robokassa.admin.site_scope import RobokassaSitesForm

    first, second, *_ = two_shops
    group = Group.objects.create(name="Second shop")
    client.force_login(admin_user)
    page = client.get(f"/admin/groups/edit/{group.pk}/").content.decode()
    assert "ROBOKASSA: Sites" in page
    assert 'name="robokassa_sites-sites"' in page
    form = RobokassaSitesForm({"robokassa_sites-sites": [str(second.pk)]}, instance=group)
    assert form.is_valid()
    form.save()
    granted = GroupSitePermission.objects.filter(group=group)
    assert list(granted.values_list("site_id", flat=True)) == [second.pk]
    form = RobokassaSitesForm({"robokassa_sites-sites": [str(first.pk)]}, instance=group)
    assert form.is_valid()
    form.save()
    assert list(granted.values_list("site_id", flat=True)) == [first.pk]
    assert RobokassaSitesForm(instance=group).initial == {"sites": [first.pk]}


def test_the_panel_is_hidden_while_per_site_permissions_are_off(client, admin_user, settings):
    settings.ROBOKASSA_PERMISSIONS_PER_SITE = False
    group = Group.objects.create(name="Everyone")
    client.force_login(admin_user)
    assert "ROBOKASSA: Sites" not in client.get(f"/admin/groups/edit/{group.pk}/").content.decode()
