"""The Overview as a Wagtail report: its own title and breadcrumbs, filters in Wagtail's filter
panel with its date picker, the mode of the shop by default, and its table as CSV or XLSX."""

import csv
import io
import re
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from tests.admin.test_dashboard import pay
from tests.admin.test_export import body

pytestmark = pytest.mark.django_db
URL = "/admin/robokassa_overview/"


def test_it_is_a_report_titled_overview(superuser_client):
    html = superuser_client.get(URL).content.decode()
    assert "<title>Overview - Wagtail</title>" in html or "<title>Overview" in html
    assert 'href="/admin/"' in html  # breadcrumbs start at the dashboard
    assert 'initDateChooser("id_start"' in html  # Wagtail's date picker, in the filter panel
    assert 'initDateChooser("id_end"' in html


@pytest.mark.parametrize(("test_mode", "expected"), [(True, "990.00"), (False, "5.00")])
def test_the_mode_is_the_shops_unless_chosen(superuser_client, settings, test_mode, expected):
    settings.ROBOKASSA_TEST_MODE = test_mode
    pay(1, "990.00", 0, is_test=True)
    pay(2, "5.00", 0)
    response = superuser_client.get(URL)
    assert response.context["total"] == Decimal(expected)
    other = "live" if test_mode else "test"
    chosen = superuser_client.get(URL, {"mode": other})
    assert chosen.context["total"] == Decimal("5.00" if test_mode else "990.00")


def test_the_table_downloads_as_csv_and_xlsx(superuser_client):
    pay(1, "100.00", 2)
    pay(2, "50.50", 2)
    start = timezone.localdate() - timezone.timedelta(days=6)
    params = {"start": start.isoformat(), "mode": "live"}
    response = superuser_client.get(URL, {**params, "export": "csv"})
    assert response.status_code == 200
    assert "robokassa-overview-live-" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))
    assert rows[0] == ["Day", "Notifications", "Amount", "Refunded"]
    assert len(rows) == 1 + 7
    two_days_ago = (timezone.localdate() - timezone.timedelta(days=2)).isoformat()
    assert [two_days_ago, "2", "150.50", "0.00"] in rows
    workbook = openpyxl.load_workbook(
        io.BytesIO(body(superuser_client.get(URL, {**params, "export": "xlsx"})))
    )
    cells = [[cell.value for cell in row] for row in workbook.active.iter_rows()]
    assert len(cells) == 1 + 7
    assert sum(Decimal(str(row[2])) for row in cells[1:]) == Decimal("150.50")


def test_the_results_alone_answer_the_filter_panel(superuser_client):
    """Wagtail's filter panel reloads only the results."""
    response = superuser_client.get(URL + "results/", {"mode": "test"})
    assert response.status_code == 200
    assert "<svg" in response.content.decode()
    assert "<html" not in response.content.decode()


def refund_of(amount, paid, days_ago, is_test=False, state="finished"):
    from tests.admin.conftest import at
    from tests.helpers import make_invoice
    from wagtail_robokassa.models import InvoiceStatus, Refund

    invoice = make_invoice(paid, status=InvoiceStatus.PAID, is_test=is_test)
    finished = state == "finished"
    invoice.refund_reserved = Decimal(amount)
    invoice.refunded = Decimal(amount) if finished else Decimal(0)
    invoice.save(update_fields=["refund_reserved", "refunded"])
    return Refund.objects.create(
        invoice=invoice,
        amount=Decimal(amount),
        state=state,
        settled_at=at(days_ago) if finished else None,
    )


def test_finished_refunds_show_by_the_day_they_settled(superuser_client):
    pay(1, "990.00", 3)
    refund_of("390.00", "990.00", 1)
    refund_of("100.00", "100.00", 1, state="processing")  # not refunded yet
    refund_of("7.00", "7.00", 1, is_test=True)  # another mode
    response = superuser_client.get(URL, {"mode": "live"})
    assert response.context["refunded"] == Decimal("390.00")
    html = response.content.decode()
    assert re.search(r"390\.00\W+₽ refunded\.", " ".join(html.split()))
    assert 'class="robokassa-chart-refunded"' in html  # a second series, with its legend
    assert ">Refunded</text>" in html
    day = (timezone.localdate() - timezone.timedelta(days=1)).isoformat()
    rows = list(
        csv.reader(
            io.StringIO(
                body(superuser_client.get(URL, {"mode": "live", "export": "csv"})).decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert [day, "0", "0.00", "390.00"] in rows


def test_no_refund_series_without_refunds(superuser_client):
    pay(1, "990.00", 3)
    html = superuser_client.get(URL, {"mode": "live"}).content.decode()
    assert "robokassa-chart-refunded" not in html
    assert "refunded." not in html


def test_the_payments_listing_tags_refunded_payments(superuser_client):
    part = refund_of("390.00", "990.00", 1).invoice
    whole = refund_of("100.00", "100.00", 1).invoice
    assert (part.refund_state, whole.refund_state) == ("Partially refunded", "Refunded")
    html = superuser_client.get("/admin/robokassa_payments/").content.decode()
    tags = re.findall(r'class="w-status w-status--label">\s*([^<]+?)\s*<', html)
    assert sorted(tags) == ["Partially refunded", "Refunded"]


@pytest.mark.parametrize(
    ("choice", "expected"), [("none", {"unrefunded"}), ("partial", {"part"}), ("full", {"whole"})]
)
def test_payments_filter_by_refunds(superuser_client, choice, expected):
    from tests.helpers import make_invoice
    from wagtail_robokassa.models import InvoiceStatus

    rows = {
        "part": refund_of("390.00", "990.00", 1).invoice.pk,
        "whole": refund_of("100.00", "100.00", 1).invoice.pk,
        "unrefunded": make_invoice("5.00", status=InvoiceStatus.PAID).pk,
    }
    response = superuser_client.get("/admin/robokassa_payments/", {"refunds": choice})
    shown = {obj.pk for obj in response.context["object_list"]}
    assert shown == {rows[name] for name in expected}


def test_payments_filter_by_final_receipt(superuser_client):
    from tests.helpers import make_invoice
    from wagtail_robokassa.models import InvoiceStatus, SecondReceipt

    sent = make_invoice("5.00", status=InvoiceStatus.PAID)
    SecondReceipt.objects.create(invoice=sent, total=sent.amount, state="registered")
    other = make_invoice("6.00", status=InvoiceStatus.PAID)
    listing = "/admin/robokassa_payments/"
    registered = superuser_client.get(listing, {"final_receipt": "registered"})
    assert [obj.pk for obj in registered.context["object_list"]] == [sent.pk]
    none = superuser_client.get(listing, {"final_receipt": "none"})
    assert [obj.pk for obj in none.context["object_list"]] == [other.pk]
    assert superuser_client.get(listing, {"final_receipt": "x\x00"}).status_code == 200
