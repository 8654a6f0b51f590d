from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from tests.helpers import make_invoice
from wagtail_robokassa.models import Invoice, SuccessNotification

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_second_notification_for_the_same_key():
    key = {"merchant_login": "demo", "is_test": False, "inv_id": 5}
    SuccessNotification.objects.create(**key, out_sum=Decimal(1))
    with pytest.raises(IntegrityError), transaction.atomic():
        SuccessNotification.objects.create(**key, out_sum=Decimal(1))
    SuccessNotification.objects.create(**{**key, "is_test": True}, out_sum=Decimal(1))
    SuccessNotification.objects.create(**{**key, "merchant_login": "b"}, out_sum=Decimal(1))
    assert SuccessNotification.objects.count() == 3


def test_django_robokassa_attribute_names():
    notification = SuccessNotification(inv_id=7, out_sum=Decimal("1.500000"))
    assert notification.InvId == 7
    assert notification.OutSum == Decimal("1.5")


def test_invoice_amount_must_be_positive():
    with pytest.raises(IntegrityError), transaction.atomic():
        Invoice.objects.create(merchant_login="demo", amount=Decimal(0))


def test_invoice_ids_are_valid_inv_ids():
    invoice = make_invoice()
    assert 1 <= invoice.pk <= 2**31 - 1
    assert str(invoice).startswith(f"#{invoice.pk} 100.00")
