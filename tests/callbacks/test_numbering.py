"""Invoice numbers never collide with order numbers that shop code paid through RobokassaForm."""

from decimal import Decimal

import pytest
from django.test import Client

from tests.helpers import result_params
from wagtail_robokassa.models import Invoice, SuccessNotification
from wagtail_robokassa.services import start_payment
from wagtail_robokassa.services.config import get_config

pytestmark = pytest.mark.django_db(transaction=True)


def new_invoice() -> Invoice:
    return start_payment(get_config(), amount=Decimal("10.00"), description="x").invoice


def test_a_number_paid_through_other_code_is_skipped():
    first = new_invoice()
    for inv_id in (first.pk + 1, first.pk + 2):  # the shop's own orders, paid already
        response = Client().post("/robokassa/result/", result_params(inv_id, "5.000000"))
        assert response.content == f"OK{inv_id}".encode()
    invoice = new_invoice()
    assert invoice.pk == first.pk + 3
    assert not Invoice.objects.filter(pk__in=[first.pk + 1, first.pk + 2]).exists()
    assert SuccessNotification.objects.filter(invoice__isnull=True).count() == 2


def test_numbering_starts_at_the_first_inv_id(settings):
    first = new_invoice().pk + 100_000  # counters outlive flushed tables
    settings.ROBOKASSA_FIRST_INV_ID = first
    assert new_invoice().pk == first
    assert new_invoice().pk == first + 1
    settings.ROBOKASSA_FIRST_INV_ID = 50  # lowering it never reuses numbers
    assert new_invoice().pk == first + 2


def test_the_signed_form_carries_the_allocated_number(settings):
    first = new_invoice().pk + 7_000
    settings.ROBOKASSA_FIRST_INV_ID = first
    start = start_payment(get_config(), amount=Decimal("10.00"), description="x")
    assert dict(start.params)["InvId"] == str(first)
