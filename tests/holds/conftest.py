"""ResultUrl2 tokens signed as ROBOKASSA signs them, with the emulator's key (RFC 7515 A.2),
which the tests trust as ROBOKASSA's certificate."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.helpers import LOGIN
from wagtail_robokassa.contrib.emulator import jws as emulator_jws

URL = "/robokassa/result2/"


@pytest.fixture(autouse=True)
def trusted_emulator(settings):
    """Live and test notifications verify with the emulator's certificate."""
    settings.ROBOKASSA_RESULT_URL2_CERTIFICATE = str(emulator_jws.CERTIFICATE_PATH)
    settings.ROBOKASSA_RESULT_URL2_TEST_CERTIFICATE = str(emulator_jws.CERTIFICATE_PATH)


def token(
    invoice_or_id,
    state: str = "HOLD",
    *,
    inc_sum: Decimal | str | None = None,
    sent_at: datetime | None = None,
    shop: str = LOGIN,
    op_key: str = "OP-1",
) -> str:
    inv_id = getattr(invoice_or_id, "pk", invoice_or_id)
    amount = inc_sum if inc_sum is not None else getattr(invoice_or_id, "amount", "100.00")
    return emulator_jws.signed_notification(
        shop=shop,
        inv_id=inv_id,
        op_key=op_key,
        state=state,
        inc_sum=Decimal(amount),
        sent_at=sent_at or timezone.now(),
    )


def deliver(client, body: str | bytes, content_type: str = "application/json"):
    data = body.encode() if isinstance(body, str) else body
    return client.generic("POST", URL, data, content_type=content_type)


@pytest.fixture
def held_log():
    """Every ``payment_held`` sent."""
    from wagtail_robokassa.signals import payment_held

    log = []

    def receiver(sender, **kwargs):
        log.append(kwargs)

    payment_held.connect(receiver)
    yield log
    payment_held.disconnect(receiver)
