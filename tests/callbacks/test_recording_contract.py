"""``process_result``'s contract: the same outcome whoever listens, on every write path, with the
write path chosen through ``ROBOKASSA_WRITE_PATH``."""

from decimal import Decimal

import pytest
from django.core.checks import run_checks
from django.db import connection
from django.http import QueryDict

from tests.helpers import make_invoice, result_params
from wagtail_robokassa.conf import server_config
from wagtail_robokassa.models import Invoice, InvoiceStatus, SuccessNotification
from wagtail_robokassa.services import fixed_config, process_result
from wagtail_robokassa.services.write_paths import WRITE_PATHS
from wagtail_robokassa.services.write_paths import write_path as path_in_force

pytestmark = pytest.mark.django_db(transaction=True)


def query(params):
    data = QueryDict(mutable=True)
    data.update(params)
    return data


def field_values(instance):
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


@pytest.mark.parametrize("listening", [False, True], ids=["no-receiver", "receiver"])
def test_the_outcome_carries_what_was_committed(write_path, receiver, listening):
    seen = []
    if listening:
        receiver(lambda sender, **kwargs: seen.append((kwargs["invoice"], kwargs["notification"])))
    invoice = make_invoice("250.00")
    outcome = process_result(
        query(result_params(invoice.pk, "250.00")), fixed_config(server_config())
    )

    assert outcome.ok
    assert not outcome.duplicate
    stored_notification = SuccessNotification.objects.get()
    stored_invoice = Invoice.objects.get(pk=invoice.pk)
    assert field_values(outcome.notification) == field_values(stored_notification)
    assert field_values(outcome.invoice) == field_values(stored_invoice)
    assert outcome.invoice.status == InvoiceStatus.PAID
    assert outcome.notification.invoice == stored_invoice
    assert not outcome.invoice._state.adding
    assert not outcome.notification._state.adding
    if listening:
        assert seen == [(outcome.invoice, outcome.notification)]
        assert seen[0][1] is outcome.notification  # the very instance receivers got


@pytest.mark.parametrize("listening", [False, True], ids=["no-receiver", "receiver"])
def test_a_notification_without_an_invoice(write_path, receiver, listening):
    if listening:
        receiver(lambda sender, **kwargs: None)
    outcome = process_result(query(result_params(424242, "10.00")), fixed_config(server_config()))
    assert outcome.ok
    assert outcome.invoice is None
    assert field_values(outcome.notification) == field_values(SuccessNotification.objects.get())
    assert outcome.notification.out_sum == Decimal("10.00")


def test_an_invoice_already_paid_elsewhere_is_returned_as_it_is(write_path):
    invoice = make_invoice("5.00", status=InvoiceStatus.PAID)
    outcome = process_result(
        query(result_params(invoice.pk, "5.00")), fixed_config(server_config())
    )
    assert field_values(outcome.invoice) == field_values(Invoice.objects.get(pk=invoice.pk))


def test_a_configuration_instead_of_a_resolver_still_works_with_a_warning():
    invoice = make_invoice()
    with pytest.warns(DeprecationWarning, match="fixed_config"):
        outcome = process_result(query(result_params(invoice.pk)), server_config())
    assert outcome.ok
    assert outcome.invoice.pk == invoice.pk


def test_auto_takes_the_first_path_this_database_supports(settings):
    settings.ROBOKASSA_WRITE_PATH = "auto"
    expected = "one_statement" if connection.vendor == "postgresql" else "upsert"
    assert path_in_force().name == expected


def test_an_unusable_write_path_is_a_system_check_error_and_a_retried_delivery(settings, client):
    unusable = ["fastest", *(n for n, path in WRITE_PATHS.items() if not path.supports(connection))]
    for name in unusable:
        settings.ROBOKASSA_WRITE_PATH = name
        errors = [m for m in run_checks(tags=["wagtail_robokassa"]) if m.id == "robokassa.E012"]
        assert len(errors) == 1
        assert repr(name) in errors[0].msg
        invoice = make_invoice()
        response = client.post("/robokassa/result/", result_params(invoice.pk))
        assert response.status_code == 500
        assert not SuccessNotification.objects.exists()
