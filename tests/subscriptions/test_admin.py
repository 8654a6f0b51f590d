"""ROBOKASSA → Subscriptions in the Wagtail admin: the listing (filters, search, export), a
subscription's page with its renewals, "Cancel" and "Charge now" (permissions, CSRF), and the
monthly recurring revenue on the dashboard and in the Overview."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.admin.conftest import make_user, superuser_client
from tests.subscriptions.conftest import subscribe
from tests.subscriptions.test_lifecycle import later, pay_first
from wagtail_robokassa.contrib.emulator.models import EmulatedOperation
from wagtail_robokassa.models import (
    CancelReason,
    ChargeState,
    Subscription,
    SubscriptionCharge,
    SubscriptionState,
)
from wagtail_robokassa.services.renewals import renew_subscriptions

INDEX = "/admin/robokassa_subscriptions/"
__all__ = ["superuser_client"]


@pytest.fixture
def active(client, subscription_page):
    pay_first(client, subscribe(client, subscription_page))
    client.logout()
    return Subscription.objects.get()


def staff(*codenames):
    client = Client()
    client.force_login(make_user("staff", "view_subscription", *codenames))
    return client


def test_the_listing_filters_searches_and_exports(active):
    client = staff("export_subscription")
    listing = client.get(INDEX)
    assert listing.status_code == 200
    assert "Клуб" in listing.content.decode()
    assert "Клуб" in client.get(INDEX, {"state": "active"}).content.decode()
    assert "Клуб" not in client.get(INDEX, {"state": "cancelled"}).content.decode()
    assert "Клуб" in client.get(INDEX, {"q": "buyer@example"}).content.decode()
    assert "Клуб" in client.get(INDEX, {"q": str(active.parent_invoice_id)}).content.decode()
    assert "Клуб" not in client.get(INDEX, {"q": "nobody"}).content.decode()
    soon = (timezone.localdate() + timedelta(days=40)).isoformat()
    assert "Клуб" in client.get(INDEX, {"next_charge_to": soon}).content.decode()
    exported = client.get(INDEX + "export/json/")
    assert exported.status_code == 200
    rows = json.loads(
        b"".join(exported.streaming_content) if exported.streaming else exported.content
    )
    assert rows[0]["email"] == "buyer@example.com"
    assert rows[0]["payments_made"] == 1
    assert rows[0]["state"] == "active"
    csv = b"".join(client.get(INDEX + "export/csv/").streaming_content).decode()
    assert "Buyer's e-mail" in csv.splitlines()[0]


def test_the_page_shows_the_renewals(active):
    renew_subscriptions(now=later(active))
    charge = SubscriptionCharge.objects.get()
    page = staff().get(f"{INDEX}inspect/{active.pk}/").content.decode()
    assert str(charge.attempt_records.get().invoice_id) in page
    assert "Renewals" in page
    # No action without its permission.
    assert "Charge now" not in page
    assert "Cancel the subscription" not in page


def test_cancel_needs_its_permission_and_csrf(active):
    assert staff().post(f"{INDEX}cancel/{active.pk}/").status_code == 403
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user("strict", "view_subscription", "cancel_subscription"))
    assert strict.post(f"{INDEX}cancel/{active.pk}/").status_code == 403
    active.refresh_from_db()
    assert active.state == SubscriptionState.ACTIVE
    allowed = Client()
    allowed.force_login(make_user("canceller", "view_subscription", "cancel_subscription"))
    assert "Cancel the subscription" in allowed.get(f"{INDEX}inspect/{active.pk}/").content.decode()
    response = allowed.post(f"{INDEX}cancel/{active.pk}/", follow=True)
    assert response.status_code == 200
    active.refresh_from_db()
    assert active.state == SubscriptionState.CANCELLED
    assert active.cancel_reason == CancelReason.STAFF
    assert active.cancelled_by.username == "canceller"


def test_charge_now_sends_only_what_is_due(active):
    charger = Client()
    charger.force_login(make_user("charger", "view_subscription", "charge_subscription"))
    page = f"{INDEX}inspect/{active.pk}/"
    assert "Charge now" not in charger.get(page).content.decode()  # nothing is due
    response = charger.post(f"{INDEX}charge/{active.pk}/", follow=True)
    assert "Nothing is due yet" in response.content.decode()
    assert not SubscriptionCharge.objects.exists()
    Subscription.objects.filter(pk=active.pk).update(
        next_charge_at=timezone.now() - timedelta(minutes=1)
    )
    assert "Charge now" in charger.get(page).content.decode()
    response = charger.post(f"{INDEX}charge/{active.pk}/", follow=True)
    assert "accepted the renewal" in response.content.decode()
    assert SubscriptionCharge.objects.get().state == ChargeState.PAID
    assert EmulatedOperation.objects.filter(parent__isnull=False).count() == 1
    assert staff().post(f"{INDEX}charge/{active.pk}/").status_code == 403


def test_the_payment_page_links_to_its_subscription(active, superuser_client):
    page = superuser_client.get(f"/admin/robokassa_payments/inspect/{active.parent_invoice_id}/")
    assert f"{INDEX}inspect/{active.pk}/" in page.content.decode()


def test_monthly_recurring_revenue_on_the_dashboard_and_in_the_overview(active, superuser_client):
    dashboard = superuser_client.get("/admin/").content.decode()
    assert 'data-testid="recurring-revenue"' in dashboard
    assert "990.00" in dashboard
    overview = superuser_client.get("/admin/robokassa_overview/").content.decode()
    assert "Monthly recurring revenue" in overview
    assert "Subscriptions" in overview  # paid, by source


@pytest.mark.django_db
def test_staff_of_one_site_see_and_act_on_its_subscriptions_only(client, settings):
    from decimal import Decimal

    from django.contrib.auth.models import Permission
    from wagtail.models import GroupSitePermission, Page, Site

    settings.ROBOKASSA_PERMISSIONS_PER_SITE = True
    first = Site.objects.get(is_default_site=True)
    second = Site.objects.create(hostname="second.example", root_page=Page.objects.get(depth=1))
    rows = {
        site: Subscription.objects.create(
            site=site,
            merchant_login="demo",
            email=f"{site.hostname}@example.com",
            description=f"Club of {site.hostname}",
            amount=Decimal("10.00"),
            first_amount=Decimal("10.00"),
            state=SubscriptionState.ACTIVE,
        )
        for site in (first, second)
    }
    user = make_user("site-staff", "view_subscription", "cancel_subscription", "view_invoice")
    GroupSitePermission.objects.create(
        group=user.groups.get(),
        site=first,
        permission=Permission.objects.get(codename="view_invoice"),
    )
    client.force_login(user)
    listing = client.get(INDEX).content.decode()
    assert f"inspect/{rows[first].pk}/" in listing
    assert f"inspect/{rows[second].pk}/" not in listing
    assert client.get(f"{INDEX}inspect/{rows[second].pk}/").status_code == 404
    assert client.post(f"{INDEX}cancel/{rows[second].pk}/").status_code == 403
    rows[second].refresh_from_db()
    assert rows[second].state == SubscriptionState.ACTIVE
