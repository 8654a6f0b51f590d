"""The emulator's ``Merchant/Recurring`` checks a renewal as ROBOKASSA's SDK documents it: only
the allowed fields, a known first payment made with ``Recurring=true``, positive integer ids, a
dotted amount, the signature with the first payment's Password #1, and an InvId never used."""

from decimal import Decimal

import pytest

from wagtail_robokassa.contrib.emulator.models import EmulatedOperation
from wagtail_robokassa.protocol import Receipt, ReceiptItem
from wagtail_robokassa.protocol.recurring import recurring_body, recurring_params
from wagtail_robokassa.services.config import get_config

URL = "/emulator/Merchant/Recurring"


@pytest.fixture
def parent(settings, db):
    settings.ROBOKASSA_EMULATOR_ENABLED = True
    settings.ROBOKASSA_TEST_MODE = True
    settings.ROBOKASSA_RECURRING_ENABLED = True
    settings.ROBOKASSA_EMULATOR_RESULT_URL = "http://127.0.0.1:9/robokassa/result/"
    config = get_config()
    operation = EmulatedOperation.objects.create(
        merchant_login=config.login,
        inv_id=500,
        out_sum=Decimal("990.00"),
        state=EmulatedOperation.PAID,
        recurring=True,
        is_test=True,
    )
    return config, operation


def body(config, inv_id=501, previous=500, out_sum=Decimal("990.00"), **kwargs):
    params = recurring_params(
        config.login, out_sum, inv_id, previous, config.test_password1, **kwargs
    )
    return recurring_body(params)


def post(client, text):
    return client.post(URL, text, content_type="application/x-www-form-urlencoded")


def switch_not_notified():
    from wagtail_robokassa.contrib.emulator.models import EmulatorSwitches, RecurringOutcome

    EmulatorSwitches.objects.update_or_create(
        pk=1, defaults={"recurring_outcome": RecurringOutcome.NOT_NOTIFIED}
    )


def test_a_proper_renewal_is_accepted_once(client, parent):
    config, operation = parent
    switch_not_notified()
    response = post(client, body(config))
    assert response.content == b"OK501"
    child = EmulatedOperation.objects.get(inv_id=501)
    assert child.parent == operation
    assert post(client, body(config)).content == b"Recurring error"  # the InvId is used


def test_a_renewal_with_a_receipt(client, parent):
    config, _operation = parent
    switch_not_notified()
    receipt = Receipt(
        items=(ReceiptItem(name="Клуб", quantity=Decimal(1), sum=Decimal(990), tax="none"),)
    )
    assert post(client, body(config, receipt=receipt)).content == b"OK501"
    assert EmulatedOperation.objects.get(inv_id=501).receipt["items"][0]["name"] == "Клуб"


@pytest.mark.parametrize(
    "mangle",
    [
        lambda text: text + "&Email=a%40b.c",
        lambda text: text + "&IsTest=1",
        lambda text: text + "&Recurring=true",
        lambda text: text + "&IncCurrLabel=BankCard",
        lambda text: text + "&Unknown=1",
        lambda text: text + "&OutSum=5.00",
        lambda text: text.replace("SignatureValue=", "SignatureValue=0"),
        lambda text: text.replace("OutSum=990.00", "OutSum=990%2C00"),
        lambda text: text.replace("PreviousInvoiceID=500", "PreviousInvoiceID=499"),
        lambda text: text.replace("InvoiceID=501", "InvoiceID=-501"),
    ],
)
def test_what_robokassa_refuses(client, parent, mangle):
    config, _operation = parent
    assert post(client, mangle(body(config))).content == b"Recurring error"
    assert not EmulatedOperation.objects.filter(inv_id=501).exists()


def test_a_first_payment_without_recurring_cannot_be_renewed(client, parent):
    config, operation = parent
    EmulatedOperation.objects.filter(pk=operation.pk).update(recurring=False)
    assert post(client, body(config)).content == b"Recurring error"


def test_a_shop_without_recurring_payments_is_refused(client, parent, settings):
    config, _operation = parent
    settings.ROBOKASSA_RECURRING_ENABLED = False
    assert post(client, body(config)).content == b"Recurring error"


def test_the_payment_page_refuses_recurring_when_the_shop_has_none(client, parent, settings):
    from wagtail_robokassa.protocol import payment_params

    config, _operation = parent
    settings.ROBOKASSA_RECURRING_ENABLED = False
    params = payment_params(
        config.login, Decimal(5), 600, config.test_password1, is_test=True, recurring=True
    )
    response = client.post("/emulator/Merchant/Index.aspx", dict(params))
    assert response.status_code == 400
    assert "Error 34" in response.content.decode()
