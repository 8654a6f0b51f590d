"""Listings, filters, search and inspect views, through the real Wagtail admin."""

import pytest
from django.utils import timezone

from tests.admin.conftest import at

pytestmark = pytest.mark.django_db
URLS = {
    "payments": "/admin/robokassa_payments/",
    "notifications": "/admin/robokassa_notifications/",
    "visits": "/admin/robokassa_visits/",
    "rejected": "/admin/robokassa_rejected/",
}


def listed(client, name, **params):
    response = client.get(URLS[name], params)
    assert response.status_code == 200
    return list(response.context["object_list"])


def test_every_listing_renders_newest_first(superuser_client, records):
    assert listed(superuser_client, "payments") == [
        records["formula"],
        records["pending"],
        records["paid"],
    ]
    assert listed(superuser_client, "notifications") == [records["notification"]]
    assert listed(superuser_client, "visits") == [records["fail"], records["success"]]
    assert listed(superuser_client, "rejected") == [records["rejected"]]


def test_listing_shows_the_columns(superuser_client, records):
    html = superuser_client.get(URLS["payments"]).content.decode()
    for text in ("Годовая подписка", "anna@example.com", "990", "Paid", "Pending"):
        assert text in html


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "paid"}, ["paid"]),
        ({"status": "pending"}, ["formula", "pending"]),
        ({"mode": "test"}, ["pending"]),
        ({"mode": "live"}, ["formula", "paid"]),
        ({"q": "Консульт"}, ["pending"]),
        ({"q": "anna@"}, ["paid"]),
    ],
)
def test_payment_filters_and_search(superuser_client, records, params, expected):
    assert listed(superuser_client, "payments", **params) == [records[key] for key in expected]


def test_search_by_inv_id(superuser_client, records):
    paid = records["paid"]
    assert listed(superuser_client, "payments", q=str(paid.pk)) == [paid]
    assert listed(superuser_client, "notifications", q=str(paid.pk)) == [records["notification"]]
    assert listed(superuser_client, "visits", q=str(paid.pk)) == [records["success"]]
    assert listed(superuser_client, "rejected", q=str(paid.pk)) == [records["rejected"]]
    assert listed(superuser_client, "payments", q="99999999999") == []


def test_date_range_filter(superuser_client, records):
    day = timezone.localdate()
    two_days_ago = (at(2)).date().isoformat()
    params = {"created_from": two_days_ago, "created_to": day.isoformat()}
    assert listed(superuser_client, "payments", **params) == [
        records["formula"],
        records["pending"],
    ]
    older = {"created_to": two_days_ago}
    assert listed(superuser_client, "payments", **older) == [records["paid"]]
    assert listed(superuser_client, "notifications", **older) == [records["notification"]]


def test_visit_and_rejection_filters(superuser_client, records):
    assert listed(superuser_client, "visits", kind="fail") == [records["fail"]]
    assert listed(superuser_client, "rejected", reason="bad_signature") == [records["rejected"]]
    assert listed(superuser_client, "rejected", reason="malformed") == []


def test_inspect_payment_links_notification_and_visits(superuser_client, records):
    paid = records["paid"]
    html = superuser_client.get(f"{URLS['payments']}inspect/{paid.pk}/").content.decode()
    assert "Годовая подписка" in html
    assert f'href="/admin/robokassa_notifications/inspect/{records["notification"].pk}/"' in html
    assert f'href="/admin/robokassa_visits/inspect/{records["success"].pk}/"' in html


def test_inspect_notification_shows_received_parameters_and_its_payment(superuser_client, records):
    notification = records["notification"]
    url = f"{URLS['notifications']}inspect/{notification.pk}/"
    html = superuser_client.get(url).content.decode()
    assert "<dt>Shp_order</dt><dd>7</dd>" in html
    assert f'href="/admin/robokassa_payments/inspect/{records["paid"].pk}/"' in html


def test_inspect_rejected_request_keeps_the_signature_redacted(superuser_client, records):
    rejected = records["rejected"]
    html = superuser_client.get(f"{URLS['rejected']}inspect/{rejected.pk}/").content.decode()
    assert "[redacted]" in html
    assert "203.0.113.9" in html


def test_inspect_links_the_page(superuser_client, records, shop_page):
    paid = records["paid"]
    paid.page = shop_page
    paid.save()
    html = superuser_client.get(f"{URLS['payments']}inspect/{paid.pk}/").content.decode()
    assert f'href="/admin/pages/{shop_page.pk}/edit/"' in html
