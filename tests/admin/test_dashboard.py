"""The dashboard summary and panel, and the overview page."""

import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.admin.conftest import at, set_time
from wagtail_robokassa.admin import stats
from wagtail_robokassa.models import SuccessNotification

pytestmark = pytest.mark.django_db


def pay(inv_id, amount, days_ago, is_test=False):
    notification = SuccessNotification.objects.create(
        merchant_login="demo", inv_id=inv_id, out_sum=Decimal(amount), is_test=is_test
    )
    set_time(SuccessNotification, notification.pk, created_at=at(days_ago))


def dashboard(client):
    response = client.get("/admin/")
    assert response.status_code == 200
    return response.content.decode()


def text_of(html):
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_dashboard_with_no_payments(superuser_client):
    html = dashboard(superuser_client)
    assert "0 notifications today" in text_of(html)
    assert "No notifications yet." in html
    assert "<svg" in html
    assert 'role="img"' in html


def test_dashboard_with_one_day(superuser_client):
    pay(1, "990.00", 0)
    pay(2, "10.00", 0, is_test=True)  # test payments are not takings
    html = dashboard(superuser_client)
    assert "1 notification today (990.00 ₽)" in text_of(html)
    assert "990.00" in html
    assert 'href="/admin/robokassa_notifications/inspect/' in html


def test_summary_counts_today_and_seven_days():
    pay(1, "100.00", 0)
    pay(2, "50.50", 3)
    pay(3, "1000.00", 10)
    figures = stats.summary()
    assert (figures["today"].count, figures["today"].total) == (1, Decimal("100.00"))
    assert (figures["week"].count, figures["week"].total) == (2, Decimal("150.50"))


def test_dashboard_with_thirty_days(superuser_client):
    for day in range(30):
        pay(day + 1, "10.00", day)
    html = dashboard(superuser_client)
    panel = html[html.index('id="robokassa-takings') :]
    assert panel.count("<rect ") == 30
    assert panel.count("<tr><td>") >= 30  # the table fallback, one row a day


def test_thirty_days_of_takings():
    for day in range(30):
        pay(day + 1, f"{day + 1}.00", day)
    days = stats.daily_takings(stats.today() - stats.timedelta(29), stats.today())
    assert len(days) == 30
    assert [day.count for day in days] == [1] * 30
    assert days[-1].total == Decimal("1.00")
    assert days[0].total == Decimal("30.00")


def test_dashboard_queries_do_not_grow_with_payments(superuser_client):
    dashboard(superuser_client)
    counts = []
    for batch in range(2):
        for n in range(20):
            pay(batch * 100 + n + 1, "10.00", n % 30)
        with CaptureQueriesContext(connection) as captured:
            dashboard(superuser_client)
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_overview_page_with_a_period(superuser_client):
    pay(1, "100.00", 2)
    pay(2, "200.00", 40)
    start = at(10).date().isoformat()
    response = superuser_client.get("/admin/robokassa_overview/", {"start": start})
    assert response.status_code == 200
    assert response.context["count"] == 1
    assert response.context["total"] == Decimal("100.00")
    html = response.content.decode()
    assert "<svg" in html
    assert "Payments by status" in html


def test_overview_survives_nonsense_dates(superuser_client):
    response = superuser_client.get("/admin/robokassa_overview/", {"start": "yesterday"})
    assert response.status_code == 200
    assert len(response.context["days"]) == 30


def test_menu_group(superuser_client):
    html = dashboard(superuser_client)
    for url in (
        "/admin/robokassa_overview/",
        "/admin/robokassa_payments/",
        "/admin/robokassa_rejected/",
    ):
        assert url in html
    assert "/admin/settings/wagtail_robokassa/robokassasettings/" in html


def test_a_shop_in_test_mode_sees_its_test_payments_labelled(superuser_client, settings):
    settings.ROBOKASSA_TEST_MODE = True
    pay(1, "990.00", 0, is_test=True)
    pay(2, "5.00", 0)  # a live payment is not shown while testing
    html = dashboard(superuser_client)
    assert "Test mode: 1 notification today (990.00 ₽)" in text_of(html)
    assert "test takings, the last 30 days" in html
    overview = superuser_client.get("/admin/robokassa_overview/", {"mode": "test"})
    assert overview.context["total"] == Decimal("990.00")


def test_admin_pages_load_the_stylesheet_that_keeps_headings_and_urls_readable(superuser_client):
    from django.contrib.staticfiles import finders

    html = superuser_client.get("/admin/").content.decode()
    assert "wagtail_robokassa/admin/admin.css" in html
    css = open(finders.find("wagtail_robokassa/admin/admin.css")).read()  # noqa: SIM115
    assert "#robokassa-takings-heading" in css
    assert ".robokassa-cabinet code" in css


def test_unknown_refunds_are_a_dashboard_warning(superuser_client, client):
    from tests.admin.conftest import make_user
    from tests.helpers import make_invoice
    from wagtail_robokassa.models import InvoiceStatus, Refund, RefundState

    assert "refunds to settle" not in dashboard(superuser_client)
    invoice = make_invoice("990.00", status=InvoiceStatus.PAID, refund_reserved=Decimal("500.00"))
    for amount in ("300.00", "200.00"):
        refund = Refund.objects.create(
            invoice=invoice, amount=Decimal(amount), state=RefundState.UNKNOWN
        )
    set_time(Refund, refund.pk, created_at=at(3))
    Refund.objects.create(
        invoice=invoice,
        amount=Decimal("10.00"),
        state=RefundState.FINISHED,
        robokassa_amount=Decimal("100.00"),
    )
    text = text_of(dashboard(superuser_client))
    assert "ROBOKASSA: refunds to settle" in text
    assert "2 refunds may or may not have reached ROBOKASSA: 500.00" in text
    assert "1 refund has another amount at ROBOKASSA than the one recorded." in text
    assert "?state=unknown" in dashboard(superuser_client)

    client.force_login(make_user("viewer", "view_invoice"))  # may not see refunds
    assert "refunds to settle" not in dashboard(client)
