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
    assert response["Content-Disposition"].startswith('attachment; filename="robokassa-invoice-')


def test_export_permission_is_per_model(records):
    client = client_for(make_user("partial", "view_invoice", "export_invoice", "view_paymentvisit"))
    assert client.get("/admin/robokassa_visits/export/csv/").status_code == 403


def test_unknown_export_format_is_404(superuser_client, records):
    assert superuser_client.get("/admin/robokassa_payments/export/pdf/").status_code == 404
