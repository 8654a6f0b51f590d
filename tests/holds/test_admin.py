"""Holds in the Wagtail admin: tagged and filtered in the listing, "Charge" (the final amount
and receipt lines, never above the hold) and "Release" on the payment's page with their own
permission, the deadline shown, and held sums apart from takings."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.utils import timezone
from wagtail.models import GroupSitePermission, Page, Site

from tests.admin.conftest import make_user
from tests.helpers import make_invoice
from tests.hostile import answer
from wagtail_robokassa.models import HoldSettlement, InvoiceStatus, SettlementState
from wagtail_robokassa.protocol import Receipt, ReceiptItem
from wagtail_robokassa.services.holds import mark_held

pytestmark = pytest.mark.django_db
INDEX = "/admin/robokassa_payments/"
LINE = {"quantity": Decimal(1), "tax": "none"}
RECEIPT = Receipt(
    items=(
        ReceiptItem(name="Велосипед", sum=Decimal("80.00"), **LINE),
        ReceiptItem(name="Шлем", sum=Decimal("20.00"), **LINE),
    )
)


@pytest.fixture
def robokassa(hostile, settings):
    """ROBOKASSA that charges and releases: "success: true"."""
    server = hostile(answer(200, b'"success: true"'))
    settings.ROBOKASSA_HOLD_URL = server.url + "/Merchant/Payment"
    settings.ROBOKASSA_TEST_MODE = True
    return server


def held_invoice(days_ago=1, **fields):
    fields.setdefault("receipt", RECEIPT.to_dict())
    invoice = make_invoice("100.00", is_test=True, hold=True, description="Прокат", **fields)
    mark_held(invoice, held_at=timezone.now() - timedelta(days=days_ago))
    return invoice


def staff(*codenames, name="staff"):
    client = Client()
    client.force_login(make_user(name, "view_invoice", *codenames))
    return client


def test_a_held_payment_is_tagged_with_its_deadline_and_filtered():
    invoice = held_invoice()
    other = make_invoice("50.00", description="Обычный")
    client = staff()
    listing = client.get(INDEX).content.decode()
    assert "On hold" in listing
    assert "Until " in listing
    held = client.get(INDEX, {"hold": "held"}).content.decode()
    assert f"inspect/{invoice.pk}/" in held
    assert f"inspect/{other.pk}/" not in held
    assert f"inspect/{invoice.pk}/" not in client.get(INDEX, {"hold": "charged"}).content.decode()
    expiring = held_invoice(days_ago=6)
    soon = client.get(INDEX, {"hold": "expiring"}).content.decode()
    assert f"inspect/{expiring.pk}/" in soon
    assert f"inspect/{invoice.pk}/" not in soon
    assert f"inspect/{invoice.pk}/" in client.get(INDEX, {"status": "held"}).content.decode()


def test_the_page_shows_the_deadline_and_no_buttons_without_the_permission():
    invoice = held_invoice()
    page = staff().get(f"{INDEX}inspect/{invoice.pk}/").content.decode()
    assert 'data-testid="hold-state"' in page
    assert "ROBOKASSA releases it" in page
    assert "Settled automatically" in page
    assert "charge-hold" not in page
    viewer = staff(name="viewer")
    assert viewer.get(f"{INDEX}charge-hold/{invoice.pk}/").status_code == 403
    assert viewer.post(f"{INDEX}release-hold/{invoice.pk}/").status_code == 403


def test_a_payment_that_is_no_hold_lists_no_hold_fields():
    invoice = make_invoice("50.00")
    page = staff().get(f"{INDEX}inspect/{invoice.pk}/").content.decode()
    assert "Hold expires" not in page
    assert 'data-testid="hold-state"' not in page


def test_charge_part_with_the_final_lines(robokassa):
    invoice = held_invoice()
    client = staff("settle_hold_invoice")
    page = client.get(f"{INDEX}inspect/{invoice.pk}/").content.decode()
    assert f"charge-hold/{invoice.pk}/" in page
    assert f"release-hold/{invoice.pk}/" in page
    form = client.get(f"{INDEX}charge-hold/{invoice.pk}/").content.decode()
    assert "Велосипед" in form
    assert "Шлем" in form
    response = client.post(
        f"{INDEX}charge-hold/{invoice.pk}/", {"amount": "80.00", "line_0": "80.00", "line_1": "0"}
    )
    assert response.status_code == 302
    settlement = HoldSettlement.objects.get()
    assert settlement.state == SettlementState.DONE
    assert settlement.amount == Decimal("80.00")
    assert [item["name"] for item in settlement.receipt["items"]] == ["Велосипед"]
    assert settlement.requested_by.username == "staff"
    assert settlement.settled_by == "staff"
    body = robokassa.requests[0].decode()
    assert "OutSum=80.00" in body
    assert "Receipt=" in body
    shown = client.get(f"{INDEX}inspect/{invoice.pk}/").content.decode()
    assert "Charge" in shown
    assert "Done" in shown
    assert f"charge-hold/{invoice.pk}/" not in shown  # settled once


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "100.01", "line_0": "80", "line_1": "20"}, "less than or equal to 100"),
        ({"amount": "90.00", "line_0": "80", "line_1": "20"}, "add up to"),
        ({"amount": "50.00", "line_0": "0", "line_1": "0"}, "at least one receipt line"),
        ({"amount": "50.00", "line_0": "81", "line_1": "0"}, "less than or equal to 80"),
        ({"amount": "x"}, "Enter a number"),
    ],
)
def test_the_charge_form_refuses_what_cannot_be_charged(robokassa, data, message):
    invoice = held_invoice()
    response = staff("settle_hold_invoice").post(f"{INDEX}charge-hold/{invoice.pk}/", data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not HoldSettlement.objects.exists()
    assert robokassa.requests == []


def test_a_hold_without_a_receipt_is_charged_by_amount_alone(robokassa):
    invoice = held_invoice(receipt=None)
    client = staff("settle_hold_invoice")
    response = client.post(f"{INDEX}charge-hold/{invoice.pk}/", {"amount": "60.50"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert HoldSettlement.objects.get().amount == Decimal("60.50")


def test_release_after_the_confirmation(robokassa):
    invoice = held_invoice()
    client = staff("settle_hold_invoice")
    confirmation = client.get(f"{INDEX}release-hold/{invoice.pk}/").content.decode()
    assert "cannot be charged afterwards" in confirmation
    assert client.post(f"{INDEX}release-hold/{invoice.pk}/").status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.CANCELLED
    assert "/Merchant/Payment/Cancel" in robokassa.requests[0].decode()
    again = client.get(f"{INDEX}release-hold/{invoice.pk}/").content.decode()
    assert "not on hold" in again


def test_the_actions_need_csrf(robokassa):
    invoice = held_invoice()
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user("strict", "view_invoice", "settle_hold_invoice"))
    assert strict.post(f"{INDEX}release-hold/{invoice.pk}/").status_code == 403
    assert robokassa.requests == []


def test_an_uncertain_charge_is_shown_and_checked(hostile, settings, emulator):
    settings.ROBOKASSA_HOLD_URL = hostile(answer(504, b"")).url + "/Merchant/Payment"
    invoice = held_invoice(receipt=None)
    client = staff("settle_hold_invoice")
    client.post(f"{INDEX}charge-hold/{invoice.pk}/", {"amount": "100.00"})
    settlement = HoldSettlement.objects.get()
    assert settlement.state == SettlementState.UNKNOWN
    page = client.get(f"{INDEX}inspect/{invoice.pk}/").content.decode()
    assert f"hold-state/{settlement.pk}/" in page
    assert client.post(f"{INDEX}hold-state/{settlement.pk}/").status_code == 302
    assert staff(name="viewer").post(f"{INDEX}hold-state/{settlement.pk}/").status_code == 403


def test_another_sites_staff_cannot_settle(settings, robokassa):
    settings.ROBOKASSA_PERMISSIONS_PER_SITE = True
    second = Site.objects.create(hostname="second.example", root_page=Page.objects.get(depth=1))
    theirs = held_invoice(site=second)
    user = make_user("staff", "view_invoice", "settle_hold_invoice")
    GroupSitePermission.objects.create(
        group=user.groups.get(),
        site=Site.objects.get(is_default_site=True),
        permission=Permission.objects.get(codename="view_invoice"),
    )
    client = Client()
    client.force_login(user)
    assert client.get(f"{INDEX}charge-hold/{theirs.pk}/").status_code == 403
    assert client.post(f"{INDEX}release-hold/{theirs.pk}/").status_code == 403
    assert robokassa.requests == []


def test_held_sums_are_apart_from_takings(settings):
    settings.ROBOKASSA_TEST_MODE = True
    held_invoice()
    held_invoice()
    client = Client()
    client.force_login(make_user("boss", "view_invoice", "view_successnotification"))
    dashboard = client.get("/admin/").content.decode()
    assert 'data-testid="held-sums"' in dashboard
    assert "in 2 payments" in dashboard
    overview = client.get("/admin/robokassa_overview/").content.decode()
    assert "in 2 payments" in overview


def test_the_export_has_the_hold_columns():
    invoice = held_invoice()
    client = staff("export_invoice")
    rows = json.loads(b"".join(client.get(INDEX + "export/json/").streaming_content))
    row = next(row for row in rows if row["inv_id"] == invoice.pk)
    assert row["status"] == "held"
    assert row["held_at"]
    assert row["hold_expires_at"]
    assert row["hold"] is True
