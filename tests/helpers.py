"""Building signed ROBOKASSA requests for tests, the way ROBOKASSA signs them."""

import socket
from contextlib import contextmanager
from decimal import Decimal

from django.conf import settings
from django.core.signals import setting_changed

from wagtail_robokassa.models import Invoice
from wagtail_robokassa.protocol import result_signature, success_signature

LOGIN = settings.ROBOKASSA_LOGIN
LIVE_PASSWORD1 = settings.ROBOKASSA_PASSWORD1
LIVE_PASSWORD2 = settings.ROBOKASSA_PASSWORD2
TEST_PASSWORD1 = settings.ROBOKASSA_TEST_PASSWORD1
TEST_PASSWORD2 = settings.ROBOKASSA_TEST_PASSWORD2
SECRETS = (LIVE_PASSWORD1, LIVE_PASSWORD2, TEST_PASSWORD1, TEST_PASSWORD2)


def _request_maker(sign, password_number, upper_by_default):
    def make(
        inv_id,
        out_sum="100.000000",
        *,
        password=None,
        shp=None,
        is_test=False,
        algorithm="md5",
        upper=upper_by_default,
        extra=None,
    ):
        passwords = {
            (1, False): LIVE_PASSWORD1,
            (1, True): TEST_PASSWORD1,
            (2, False): LIVE_PASSWORD2,
            (2, True): TEST_PASSWORD2,
        }
        password = password or passwords[password_number, is_test]
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

    return make


#: A Result URL request as ROBOKASSA sends it (Password#2, upper-case signature, 6 decimals).
result_params = _request_maker(result_signature, 2, upper_by_default=True)
#: A Success URL redirect (Password#1).
success_params = _request_maker(success_signature, 1, upper_by_default=False)


def make_invoice(amount="100.00", *, is_test=False, **fields):
    return Invoice.objects.create(
        merchant_login=LOGIN, amount=Decimal(amount), is_test=is_test, **fields
    )


@contextmanager
def second_connection():
    """A cursor on a connection of its own: it sees only what was committed."""
    from django.db import connections

    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            yield cursor
    finally:
        other.close()


class _SignalOnRestore:
    def __init__(self, names):
        self.names = names

    def disable(self):
        for name in self.names:
            setting_changed.send(sender=None, setting=name, value=None, enter=False)


def forget_settings(settings_fixture, *names):
    """Delete Django settings for one test, telling the code that caches them (deleting through
    pytest-django's ``settings`` sends no ``setting_changed``, unlike setting a value)."""
    for name in names:
        delattr(settings_fixture, name)
        setting_changed.send(sender=None, setting=name, value=None, enter=True)
    settings_fixture._to_restore.append(_SignalOnRestore(names))
    return settings_fixture


#: A paid payment's receipt: two books (300.00 each) and a delivery (390.00), 990.00 in all.
BOOK_AND_DELIVERY = {
    "sno": "usn_income",
    "items": [
        {"name": "Книга", "quantity": 2, "sum": "600.00", "tax": "none",
         "payment_method": "full_payment", "payment_object": "commodity"},
        {"name": "Доставка", "quantity": 1, "sum": "390.00", "tax": "none",
         "payment_method": "full_payment", "payment_object": "service"},
    ],
}  # fmt: skip


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
