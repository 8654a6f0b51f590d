"""Building signed ROBOKASSA requests for tests, the way ROBOKASSA signs them."""

from decimal import Decimal

from django.conf import settings

from wagtail_robokassa.models import Invoice
from wagtail_robokassa.protocol import result_signature, success_signature

LOGIN = settings.ROBOKASSA_LOGIN
LIVE_PASSWORD1 = settings.ROBOKASSA_PASSWORD1
LIVE_PASSWORD2 = settings.ROBOKASSA_PASSWORD2
TEST_PASSWORD1 = settings.ROBOKASSA_TEST_PASSWORD1
TEST_PASSWORD2 = settings.ROBOKASSA_TEST_PASSWORD2
SECRETS = (LIVE_PASSWORD1, LIVE_PASSWORD2, TEST_PASSWORD1, TEST_PASSWORD2)


def _signed(sign, inv_id, out_sum, password, shp, is_test, algorithm, upper, extra):
    shp = dict(shp or {})
    signature = sign(out_sum, inv_id, password, shp=shp, algorithm=algorithm)
    params = {
        "OutSum": out_sum,
        "InvId": str(inv_id),
        "SignatureValue": signature.upper() if upper else signature,
        **shp,
    }
    if is_test:
        params["IsTest"] = "1"
    params.update(extra or {})
    return params


def result_params(
    inv_id,
    out_sum="100.000000",
    *,
    password=None,
    shp=None,
    is_test=False,
    algorithm="md5",
    upper=True,
    extra=None,
):
    """A Result URL request as ROBOKASSA sends it (upper-case signature, 6 decimals)."""
    password = password or (TEST_PASSWORD2 if is_test else LIVE_PASSWORD2)
    return _signed(
        result_signature, inv_id, out_sum, password, shp, is_test, algorithm, upper, extra
    )


def success_params(
    inv_id,
    out_sum="100.000000",
    *,
    password=None,
    shp=None,
    is_test=False,
    algorithm="md5",
    upper=False,
    extra=None,
):
    """A Success URL redirect (Password#1)."""
    password = password or (TEST_PASSWORD1 if is_test else LIVE_PASSWORD1)
    return _signed(
        success_signature, inv_id, out_sum, password, shp, is_test, algorithm, upper, extra
    )


def make_invoice(amount="100.00", *, is_test=False, **fields):
    return Invoice.objects.create(
        merchant_login=LOGIN, amount=Decimal(amount), is_test=is_test, **fields
    )
