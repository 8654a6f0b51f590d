""" "Check status at ROBOKASSA" on a payment's inspect page (POST with CSRF, its own permission,
against the emulator over HTTP), and the last check in the listing's filters and exports."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.utils import timezone

from tests.admin.conftest import make_user
from tests.helpers import LOGIN, make_invoice
from wagtail_robokassa.contrib.emulator.models import EmulatedOperation
from wagtail_robokassa.gateway.transport import RETRIES
from wagtail_robokassa.models import (
    CheckOutcome,
    InvoiceStatus,
    NotificationSource,
    SuccessNotification,
)


def paid_at_robokassa(state=100):
    invoice = make_invoice("990.00", is_test=True)
    EmulatedOperation.objects.create(
        merchant_login=LOGIN, inv_id=invoice.pk, out_sum=invoice.amount, state=state, op_key="k"
    )
    return invoice


def check_url(invoice):
    return f"/admin/robokassa_payments/check/{invoice.pk}/"


def inspect_url(invoice):
    return f"/admin/robokassa_payments/inspect/{invoice.pk}/"


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_check_records_a_lost_notification(emulator, superuser_client, results_log):
    invoice = paid_at_robokassa()

    page = superuser_client.get(inspect_url(invoice))
    assert check_url(invoice) in page.content.decode()
    response = superuser_client.post(check_url(invoice), follow=True)

    assert response.redirect_chain[-1][0] == inspect_url(invoice)
    assert messages_of(response) == [
        f"ROBOKASSA confirms payment #{invoice.pk}: it is now recorded as paid."
    ]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.last_check == CheckOutcome.PAID
    assert SuccessNotification.objects.get().source == NotificationSource.STATUS_CHECK
    assert len(results_log.calls) == 1
    html = response.content.decode()
    assert "Status check" in html  # the notification's source, on the related link's record
    assert "Last status check" in html

    again = superuser_client.post(check_url(invoice), follow=True)
    assert messages_of(again) == [
        f"ROBOKASSA confirms payment #{invoice.pk}; it was already recorded."
    ]
    assert len(results_log.calls) == 1


@pytest.mark.parametrize(
    ("state", "said"),
    [(5, "Not paid yet. State 5"), (10, "Cancelled. State 10"), (None, "Not found at ROBOKASSA.")],
)
def test_what_robokassa_says_is_shown(emulator, superuser_client, state, said):
    invoice = paid_at_robokassa(state) if state else make_invoice("990.00", is_test=True)
    response = superuser_client.post(check_url(invoice), follow=True)
    (message,) = messages_of(response)
    assert message.startswith(f"Status check of #{invoice.pk}: {said}")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PENDING


@pytest.mark.django_db
def test_a_failure_is_an_error_message_and_changes_nothing(superuser_client, settings):
    from tests.status_servers import closed_port

    settings.ROBOKASSA_STATUS_URL = f"http://127.0.0.1:{closed_port()}/OpStateExt"
    invoice = make_invoice("990.00", is_test=True)
    response = superuser_client.post(check_url(invoice), follow=True)
    (message,) = response.context["messages"]
    assert message.level_tag == "error"
    assert "could not be reached" in str(message)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.last_check) == (InvoiceStatus.PENDING, CheckOutcome.FAILED)


@pytest.mark.django_db
def test_only_a_post_checks(superuser_client):
    invoice = make_invoice()
    assert superuser_client.get(check_url(invoice)).status_code == 405
    invoice.refresh_from_db()
    assert invoice.checks == 0


@pytest.mark.django_db
def test_the_check_needs_a_csrf_token(settings):
    user = make_user("checker", "view_invoice", "check_invoice")
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    invoice = make_invoice()
    assert client.post(check_url(invoice)).status_code == 403
    invoice.refresh_from_db()
    assert invoice.checks == 0


@pytest.mark.django_db
def test_the_check_needs_its_own_permission(client, misbehaving):
    seen = misbehaving()
    invoice = make_invoice("990.00", is_test=True)
    client.force_login(make_user("viewer", "view_invoice"))
    assert check_url(invoice) not in client.get(inspect_url(invoice)).content.decode()
    refused = client.post(check_url(invoice))
    assert (refused.status_code, refused.url) == (302, "/admin/")  # Wagtail's "no permission"
    assert seen == []  # ROBOKASSA was not asked

    client.force_login(make_user("checker", "view_invoice", "check_invoice"))
    assert check_url(invoice) in client.get(inspect_url(invoice)).content.decode()
    assert client.post(check_url(invoice)).status_code == 302
    assert len(seen) == 1 + RETRIES  # its answer was lost, and a status check may be asked again


@pytest.mark.django_db
def test_an_unknown_payment_is_404(superuser_client):
    assert superuser_client.post("/admin/robokassa_payments/check/999999/").status_code == 404
    assert superuser_client.post("/admin/robokassa_payments/check/x%00/").status_code == 404
    huge = "/admin/robokassa_payments/check/99999999999999999999/"
    assert superuser_client.post(huge).status_code == 404


@pytest.mark.django_db
def test_the_listing_filters_by_last_check(superuser_client):
    never = make_invoice("1.00")
    cancelled = make_invoice("2.00", last_check=CheckOutcome.CANCELLED)
    failed = make_invoice("3.00", last_check=CheckOutcome.FAILED, last_checked_at=timezone.now())

    def listed(query):
        response = superuser_client.get(f"/admin/robokassa_payments/?{query}")
        assert response.status_code == 200
        return {invoice.pk for invoice in response.context["object_list"]}

    assert listed("last_check=none") == {never.pk}
    assert listed("last_check=cancelled") == {cancelled.pk}
    assert listed("last_check=failed") == {failed.pk}
    assert listed("") == {never.pk, cancelled.pk, failed.pk}
    assert superuser_client.get("/admin/robokassa_payments/?last_check=nonsense").status_code == 200


@pytest.mark.django_db
def test_notifications_filter_by_source(superuser_client):
    common = {"merchant_login": LOGIN, "out_sum": "1.00"}
    by_result = SuccessNotification.objects.create(inv_id=1, **common)
    by_check = SuccessNotification.objects.create(inv_id=2, source="status_check", **common)
    response = superuser_client.get("/admin/robokassa_notifications/?source=status_check")
    assert [n.pk for n in response.context["object_list"]] == [by_check.pk]
    response = superuser_client.get("/admin/robokassa_notifications/?source=result_url")
    assert [n.pk for n in response.context["object_list"]] == [by_result.pk]


@pytest.mark.django_db
def test_the_listing_tags_what_the_last_check_found_while_unpaid(superuser_client):
    make_invoice("1.00", last_check=CheckOutcome.CANCELLED)
    make_invoice("2.00", last_check=CheckOutcome.MISMATCH)
    make_invoice("3.00", status=InvoiceStatus.PAID, last_check=CheckOutcome.PAID)
    make_invoice("4.00")
    html = superuser_client.get("/admin/robokassa_payments/").content.decode()
    assert html.count("ROBOKASSA: Cancelled") == 1
    assert html.count("ROBOKASSA: Paid, but another amount") == 1
    assert "ROBOKASSA: Paid<" not in html  # a paid payment needs no second word
