"""Exports: each format parsed back and compared with the filtered listing."""

import csv
import io
import json
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from tests.helpers import SECRETS

pytestmark = pytest.mark.django_db
EXPORT = "/admin/robokassa_payments/export/"


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.getvalue()


def listing(client, **params):
    return list(client.get("/admin/robokassa_payments/", params).context["object_list"])


def csv_rows(response):
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))


def test_csv_is_the_filtered_listing(superuser_client, records):
    params = {"mode": "live", "q": "example.com"}
    rows = csv_rows(superuser_client.get(EXPORT + "csv/", params))
    assert rows[0] == [
        "InvId", "Created", "Paid", "Status", "Status, in words", "Amount", "Mode", "Site",
        "Description", "E-mail", "Reference", "Page ID", "Last status check",
        "Last status check, in words", "Last checked", "Refunded", "Hold requested", "Held",
        "Hold expires", "Amount held",
    ]  # fmt: skip
    expected = listing(superuser_client, **params)
    assert [int(row[0]) for row in rows[1:]] == [invoice.pk for invoice in expected]
    records["paid"].refresh_from_db()
    paid = next(row for row in rows[1:] if int(row[0]) == records["paid"].pk)
    assert paid[3:7] == ["paid", "Paid", "990.00", "live"]
    created = timezone.localtime(records["paid"].created_at)
    assert paid[1] == created.isoformat()
    assert paid[1].endswith("+03:00")  # the site time zone, Europe/Moscow


def test_formula_looking_values_are_neutralised(superuser_client, records):
    rows = csv_rows(superuser_client.get(EXPORT + "csv/"))
    formula = next(row for row in rows[1:] if int(row[0]) == records["formula"].pk)
    assert formula[8] == '\'=HYPERLINK("http://x")'
    assert formula[9] == "'-2+3@example.com"
    workbook = openpyxl.load_workbook(io.BytesIO(body(superuser_client.get(EXPORT + "xlsx/"))))
    cells = [[cell.value for cell in row] for row in workbook.active.iter_rows()]
    formula_row = next(row for row in cells[1:] if row[0] == records["formula"].pk)
    assert formula_row[8] == '\'=HYPERLINK("http://x")'
    assert all(not isinstance(v, str) or not v.startswith("=") for row in cells for v in row)


def test_xlsx_parses_back_with_exact_amounts(superuser_client, records):
    response = superuser_client.get(EXPORT + "xlsx/", {"status": "pending"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)))
    rows = [[cell.value for cell in row] for row in workbook.active.iter_rows()]
    assert rows[0][0] == "InvId"
    assert [row[0] for row in rows[1:]] == [
        i.pk for i in listing(superuser_client, status="pending")
    ]
    amounts = {row[0]: row[5] for row in rows[1:]}
    assert Decimal(str(amounts[records["pending"].pk])) == Decimal("150.50")


def test_json_parses_back(superuser_client, records):
    response = superuser_client.get(EXPORT + "json/", {"mode": "test"})
    data = json.loads(body(response), parse_float=Decimal)
    assert [item["inv_id"] for item in data] == [records["pending"].pk]
    assert data[0]["amount"] == Decimal("150.50")
    assert data[0]["mode"] == "test"
    assert data[0]["description"] == "Консультация"


def test_empty_export(superuser_client, records):
    assert json.loads(body(superuser_client.get(EXPORT + "json/", {"q": "nobody"}))) == []
    assert len(csv_rows(superuser_client.get(EXPORT + "csv/", {"q": "nobody"}))) == 1


def test_ordering_follows_the_listing(superuser_client, records):
    rows = csv_rows(superuser_client.get(EXPORT + "csv/", {"ordering": "amount"}))
    assert [Decimal(row[5]) for row in rows[1:]] == sorted(Decimal(row[5]) for row in rows[1:])


@pytest.mark.parametrize("prefix", ["notifications", "visits", "rejected"])
@pytest.mark.parametrize("file_format", ["csv", "xlsx", "json"])
def test_every_model_exports_every_format(superuser_client, records, prefix, file_format):
    response = superuser_client.get(f"/admin/robokassa_{prefix}/export/{file_format}/")
    assert response.status_code == 200
    content = body(response)
    assert content
    for secret in SECRETS:
        assert secret.encode() not in content


def test_rejected_export_keeps_params_redacted(superuser_client, records):
    data = json.loads(body(superuser_client.get("/admin/robokassa_rejected/export/json/")))
    assert data[0]["params"]["SignatureValue"] == "[redacted]"
    assert data[0]["reason"] == "bad_signature"  # the code, in every language
    assert "reason_label" not in data[0]


def test_json_is_the_same_file_in_every_language(superuser_client, records):
    english = body(superuser_client.get(EXPORT + "json/", HTTP_ACCEPT_LANGUAGE="en"))
    russian = body(superuser_client.get(EXPORT + "json/", HTTP_ACCEPT_LANGUAGE="ru"))
    assert english == russian
    statuses = {item["status"] for item in json.loads(english)}
    assert statuses == {"paid", "pending"}


def test_csv_gives_codes_and_their_words_in_the_staffs_language(superuser_client, records):
    rows = csv_rows(superuser_client.get(EXPORT + "csv/", HTTP_ACCEPT_LANGUAGE="ru"))
    paid = next(row for row in rows[1:] if int(row[0]) == records["paid"].pk)
    assert paid[3:5] == ["paid", "Оплачен"]


def test_xlsx_times_are_the_spreadsheets_own_dates(superuser_client, records):
    workbook = openpyxl.load_workbook(io.BytesIO(body(superuser_client.get(EXPORT + "xlsx/"))))
    rows = [[cell.value for cell in row] for row in workbook.active.iter_rows()]
    paid = next(row for row in rows[1:] if row[0] == records["paid"].pk)
    records["paid"].refresh_from_db()
    local = timezone.localtime(records["paid"].created_at).replace(tzinfo=None)
    assert paid[1] == local  # a datetime, in the site's time zone
    pending = next(row for row in rows[1:] if row[0] == records["pending"].pk)
    assert pending[2] is None  # not paid: an empty cell


@pytest.mark.parametrize("language", ["en", "ru"])
def test_the_file_is_named_as_the_screen(superuser_client, records, language):
    response = superuser_client.get(EXPORT + "csv/", HTTP_ACCEPT_LANGUAGE=language)
    assert 'filename="robokassa-payments-' in response["Content-Disposition"]
    rejected = superuser_client.get("/admin/robokassa_rejected/export/json/")
    assert 'filename="robokassa-rejected-requests-' in rejected["Content-Disposition"]


def test_translated_headings(superuser_client, records):
    rows = csv_rows(superuser_client.get(EXPORT + "csv/", HTTP_ACCEPT_LANGUAGE="ru"))
    assert rows[0][:2] == ["Номер счёта (InvId)", "Создан"]


# The library's extension points, and one declaration per column.

from wagtail_robokassa.admin import resources  # noqa: E402
from wagtail_robokassa.admin.exporting import Exporter, export_response  # noqa: E402
from wagtail_robokassa.models import Invoice, RejectedRequest, SuccessNotification  # noqa: E402

STOCK_RESOURCES = [
    (resources.InvoiceResource, Invoice, "inv_id", "id"),
    (resources.NotificationResource, SuccessNotification, "inv_id", "inv_id"),
    (resources.VisitResource, resources.PaymentVisit, "inv_id", "inv_id"),
    (resources.RejectedRequestResource, RejectedRequest, "inv_id", "inv_id"),
]


def through_the_library(resource_class, column, attribute):
    """The same resource, with a ``dehydrate_`` method: rows come from ``export_resource``."""
    return type(
        f"Dehydrated{resource_class.__name__}",
        (resource_class,),
        {f"dehydrate_{column}": lambda self, obj: getattr(obj, attribute)},
    )


@pytest.mark.parametrize(("resource_class", "model", "column", "attribute"), STOCK_RESOURCES)
@pytest.mark.parametrize("file_format", ["csv", "json", "xlsx"])
def test_both_paths_write_the_same_file(
    records, resource_class, model, column, attribute, file_format
):
    queryset = model.objects.order_by("pk")
    fast = Exporter(resource_class())
    slow = Exporter(through_the_library(resource_class, column, attribute)())
    assert fast.by_value
    assert not slow.by_value

    def export(resource):
        response = export_response(resource, queryset, file_format, "x", "x")
        if file_format != "xlsx":
            return body(response)
        workbook = openpyxl.load_workbook(io.BytesIO(body(response)))
        return [[cell.value for cell in row] for row in workbook.active.iter_rows()]

    assert export(slow.resource) == export(fast.resource)


def test_each_column_is_declared_once_in_the_order_of_declaration():
    """The declared fields are the columns, in source order; no model field joins on its own."""
    resource = resources.NotificationResource()
    assert [resource.get_field_name(f) for f in resource.get_export_fields()] == [
        "inv_id", "created_at", "out_sum", "fee", "mode", "merchant_login", "payment_method",
        "inc_curr_label", "email", "deliveries", "source", "source_label", "invoice",
    ]  # fmt: skip
    visits = resources.VisitResource()
    assert [visits.get_field_name(f) for f in visits.get_export_fields()][:3] == [
        "created_at",
        "kind",
        "kind_label",
    ]


def test_a_subclass_adds_a_column_and_filters_the_export(records):
    class ShopNotifications(resources.NotificationResource):
        invoice_description = resources.column("invoice__description", "Order")

        class Meta:
            model = SuccessNotification

        def filter_export(self, queryset, **kwargs):
            return queryset.filter(is_test=False)

    exporter = Exporter(ShopNotifications())
    assert exporter.headings[-1] == "Order"
    assert exporter.headings[:-1] == Exporter(resources.NotificationResource()).headings
    response = export_response(
        ShopNotifications(), SuccessNotification.objects.all(), "json", "x", "x"
    )
    data = json.loads(body(response))
    live = SuccessNotification.objects.filter(is_test=False)
    assert [item["inv_id"] for item in data] == [n.inv_id for n in live]
    assert data[0]["invoice_description"] == live[0].invoice.description


def test_characters_xlsx_cannot_hold_are_shown_not_dropped(records):
    RejectedRequest.objects.update(detail="bad\x01byte\x1f")
    response = export_response(
        resources.RejectedRequestResource(), RejectedRequest.objects.all(), "xlsx", "x", "x"
    )
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)))
    details = [row[4].value for row in workbook.active.iter_rows(min_row=2)]
    assert details == ["bad\ufffdbyte\ufffd"] * RejectedRequest.objects.count()
