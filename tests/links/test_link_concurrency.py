"""Payments through links under concurrency, on a real PostgreSQL: a reusable link's later
payment delivered by several requests at once gets one invoice, one notification, one signal;
a one-time link's payment marks it paid once."""

from decimal import Decimal

import pytest

from tests.callbacks.test_concurrency import THREADS, deliver_together
from tests.helpers import make_invoice, result_params
from wagtail_robokassa.models import (
    Invoice,
    InvoiceStatus,
    PaymentLink,
    PaymentLinkState,
    PaymentLinkType,
    SuccessNotification,
)
from wagtail_robokassa.protocol.invoice_api import LINK_PARAMETER
from wagtail_robokassa.signals import payment_link_paid

ROUNDS = 8


@pytest.fixture
def signalled():
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs["invoice"].pk)

    payment_link_paid.connect(receiver)
    yield received
    payment_link_paid.disconnect(receiver)


def link_of(invoice_type):
    link = PaymentLink.objects.create(
        merchant_login="demo",
        invoice_type=invoice_type,
        state=PaymentLinkState.ACTIVE,
        amount=Decimal("250.00"),
        description="Lesson",
    )
    invoice = make_invoice("250.00", payment_link=link, shp={LINK_PARAMETER: link.code})
    link.inv_id = invoice.pk
    link.save()
    return link


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_reusable_links_payment_delivered_at_once_is_recorded_once(write_path, signalled):
    link = link_of(PaymentLinkType.REUSABLE)
    for round_number in range(ROUNDS):
        inv_id = 2_000_000_100 + round_number
        params = result_params(inv_id, "250.000000", shp={LINK_PARAMETER: link.code})
        answers = deliver_together(params)
        assert answers == [(200, f"OK{inv_id}".encode())] * THREADS, round_number
        assert SuccessNotification.objects.get(inv_id=inv_id).deliveries == THREADS
        assert Invoice.objects.get(pk=inv_id).payment_link_id == link.pk
    assert link.payments.filter(status=InvoiceStatus.PAID).count() == ROUNDS
    assert sorted(signalled) == [2_000_000_100 + n for n in range(ROUNDS)]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_one_time_links_payment_delivered_at_once_marks_it_paid_once(write_path, signalled):
    for _round in range(ROUNDS):
        link = link_of(PaymentLinkType.ONE_TIME)
        params = result_params(link.inv_id, "250.000000", shp={LINK_PARAMETER: link.code})
        assert deliver_together(params) == [(200, f"OK{link.inv_id}".encode())] * THREADS
        link.refresh_from_db()
        assert link.state == PaymentLinkState.PAID
    assert len(signalled) == ROUNDS
