"""Management commands, run through call_command."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tests.helpers import make_invoice
from wagtail_robokassa.models import Invoice, InvoiceStatus, SuccessNotification

pytestmark = pytest.mark.django_db


def age(invoice, days):
    Invoice.objects.filter(pk=invoice.pk).update(created_at=timezone.now() - timedelta(days=days))


def test_purge_deletes_only_stale_unpaid_invoices():
    stale = make_invoice()
    fresh = make_invoice()
    paid = make_invoice(status=InvoiceStatus.PAID)
    notified = make_invoice()
    SuccessNotification.objects.create(
        merchant_login="demo", inv_id=notified.pk, out_sum=Decimal(100), invoice=notified
    )
    for invoice in (stale, paid, notified):
        age(invoice, 40)
    age(fresh, 5)
    out = StringIO()
    call_command("robokassa_purge_invoices", "--days", "30", "--dry-run", stdout=out)
    assert "1 stale pending invoices would be deleted" in out.getvalue()
    assert Invoice.objects.count() == 4
    call_command("robokassa_purge_invoices", "--days", "30", stdout=StringIO())
    assert set(Invoice.objects.values_list("pk", flat=True)) == {fresh.pk, paid.pk, notified.pk}


def test_purge_refuses_a_nonsense_age():
    with pytest.raises(CommandError, match="at least 1"):
        call_command(
            "robokassa_purge_invoices", "--days", "0", stdout=StringIO(), stderr=StringIO()
        )
