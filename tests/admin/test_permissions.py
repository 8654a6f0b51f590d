"""Read-only for everyone; view and export are separate permissions."""

import pytest
from django.test import Client

from tests.admin.conftest import make_user

pytestmark = pytest.mark.django_db


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "prefix",
    ["robokassa_payments", "robokassa_notifications", "robokassa_visits", "robokassa_rejected"],
)
def test_no_add_edit_or_delete_even_for_a_superuser(superuser_client, records, prefix):
    obj = {
        "robokassa_payments": records["paid"],
        "robokassa_notifications": records["notification"],
        "robokassa_visits": records["success"],
        "robokassa_rejected": records["rejected"],
    }[prefix]
    assert superuser_client.get(f"/admin/{prefix}/new/").status_code == 403
    assert superuser_client.post(f"/admin/{prefix}/new/", {}).status_code == 403
    assert superuser_client.get(f"/admin/{prefix}/edit/{obj.pk}/").status_code == 403
    assert superuser_client.post(f"/admin/{prefix}/delete/{obj.pk}/").status_code == 403
    assert type(obj).objects.filter(pk=obj.pk).exists()
    listing = superuser_client.get(f"/admin/{prefix}/").content.decode()
    assert f"/admin/{prefix}/new/" not in listing
    assert f"/admin/{prefix}/edit/" not in listing


def test_anonymous_is_sent_to_the_login(client, records):
    response = client.get("/admin/robokassa_payments/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
    assert client.get("/admin/robokassa_payments/export/csv/").status_code == 302


def test_staff_without_view_sees_no_menu_and_gets_403(records):
    client = client_for(make_user("clerk"))
    home = client.get("/admin/").content.decode()
    assert "robokassa_payments" not in home
    assert client.get("/admin/robokassa_payments/").status_code == 403
    assert client.get("/admin/robokassa_overview/").status_code == 403
    assert client.get("/admin/robokassa_payments/export/csv/").status_code == 403


def test_view_without_export(records):
    client = client_for(make_user("viewer", "view_invoice", "view_successnotification"))
    home = client.get("/admin/").content.decode()
    assert "/admin/robokassa_payments/" in home
    listing = client.get("/admin/robokassa_payments/")
    assert listing.status_code == 200
    assert "/export/" not in listing.content.decode()
    assert client.get("/admin/robokassa_payments/export/csv/").status_code == 403
    assert client.get(f"/admin/robokassa_payments/inspect/{records['paid'].pk}/").status_code == 200


def test_view_and_export_gets_the_file(records):
    client = client_for(make_user("accountant", "view_invoice", "export_invoice"))
    listing = client.get("/admin/robokassa_payments/", {"status": "paid"}).content.decode()
    assert "/admin/robokassa_payments/export/csv/?status=paid" in listing
    response = client.get("/admin/robokassa_payments/export/csv/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="robokassa-payments-')


def test_export_permission_is_per_model(records):
    client = client_for(make_user("partial", "view_invoice", "export_invoice", "view_paymentvisit"))
    assert client.get("/admin/robokassa_visits/export/csv/").status_code == 403


def test_unknown_export_format_is_404(superuser_client, records):
    assert superuser_client.get("/admin/robokassa_payments/export/pdf/").status_code == 404


def test_related_links_show_only_what_the_user_may_view(records):
    """A link's text carries an amount and a status: hidden without the permission to view it."""
    rejected = records["rejected"]
    client = client_for(make_user("auditor", "view_rejectedrequest"))
    page = client.get(f"/admin/robokassa_rejected/inspect/{rejected.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "990" not in html
    assert "/admin/robokassa_payments/inspect/" not in html
    assert "/admin/robokassa_notifications/inspect/" not in html
    assert "/admin/robokassa_visits/inspect/" not in html

    client = client_for(make_user("accountant", "view_rejectedrequest", "view_invoice"))
    html = client.get(f"/admin/robokassa_rejected/inspect/{rejected.pk}/").content.decode()
    assert f"/admin/robokassa_payments/inspect/{records['paid'].pk}/" in html
    assert "/admin/robokassa_notifications/inspect/" not in html


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "9001-01-01"])
@pytest.mark.parametrize("field", ["start", "end"])
def test_the_overview_refuses_days_out_of_range_without_a_500(superuser_client, day, field):
    response = superuser_client.get("/admin/robokassa_overview/", {field: day})
    assert response.status_code == 200
    assert "Choose a day from 2000-01-01 to 9000-12-31." in response.content.decode()


@pytest.mark.parametrize("period", [{"start": "2000-01-01"}, {"end": "9000-12-31"}])
def test_the_overview_takes_the_edges_of_the_range(superuser_client, period):
    assert superuser_client.get("/admin/robokassa_overview/", period).status_code == 200
