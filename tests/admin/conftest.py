from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from tests.wagtail.conftest import home, shop_page  # noqa: F401 - shared fixtures
from wagtail_robokassa.models import (
    Invoice,
    InvoiceStatus,
    PaymentVisit,
    RejectedRequest,
    SuccessNotification,
)


def make_user(username, *codenames, staff=True):
    user = get_user_model().objects.create_user(username, f"{username}@example.com", "pw")
    if staff:
        user.user_permissions.add(Permission.objects.get(codename="access_admin"))
    if codenames:
        group = Group.objects.create(name=f"{username}-group")
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="wagtail_robokassa", codename__in=codenames
            )
        )
        user.groups.add(group)
    return user


@pytest.fixture
def superuser_client(client, db):
    client.force_login(get_user_model().objects.create_superuser("root", "root@example.com", "pw"))
    return client


def at(days_ago, hour=12):
    moment = timezone.localtime() - timedelta(days=days_ago)
    return moment.replace(hour=hour, minute=0, second=0, microsecond=0)


def set_time(model, pk, **fields):
    model.objects.filter(pk=pk).update(**fields)


@pytest.fixture
def records(db):
    """Three invoices (one paid live, one pending test, one with a formula-looking e-mail), their
    notification, visits and a rejected request, at known times."""
    paid = Invoice.objects.create(
        merchant_login="demo", amount=Decimal("990.00"), description="Годовая подписка",
        email="anna@example.com", status=InvoiceStatus.PAID,
    )  # fmt: skip
    pending = Invoice.objects.create(
        merchant_login="demo", amount=Decimal("150.50"), description="Консультация",
        email="boris@example.com", is_test=True,
    )  # fmt: skip
    formula = Invoice.objects.create(
        merchant_login="demo", amount=Decimal("1.00"), description="=HYPERLINK(\"http://x\")",
        email="-2+3@example.com",
    )  # fmt: skip
    set_time(Invoice, paid.pk, created_at=at(3), paid_at=at(3))
    set_time(Invoice, pending.pk, created_at=at(1))
    set_time(Invoice, formula.pk, created_at=at(0))
    notification = SuccessNotification.objects.create(
        merchant_login="demo", inv_id=paid.pk, out_sum=Decimal("990.000000"), invoice=paid,
        email="anna@example.com", payment_method="BankCard",
        params={"OutSum": "990.000000", "InvId": str(paid.pk), "Shp_order": "7"},
    )  # fmt: skip
    set_time(SuccessNotification, notification.pk, created_at=at(3))
    success = PaymentVisit.objects.create(
        kind="success", inv_id=paid.pk, out_sum=Decimal("990"), signature_valid=True, invoice=paid
    )
    fail = PaymentVisit.objects.create(kind="fail", inv_id=pending.pk, out_sum=Decimal("150.5"))
    rejected = RejectedRequest.objects.create(
        endpoint="result", reason="bad_signature", detail="SignatureValue does not match",
        inv_id=paid.pk, params={"OutSum": "1.00", "SignatureValue": "[redacted]"},
        client_ip="203.0.113.9",
    )  # fmt: skip
    return {
        "paid": paid,
        "pending": pending,
        "formula": formula,
        "notification": notification,
        "success": success,
        "fail": fail,
        "rejected": rejected,
    }
