"""Invoice numbers (InvIds) that no other payment has used.

ROBOKASSA has one number space per shop: the plugin's invoices share it with order numbers that
shop code sends through ``RobokassaForm``. Two guards keep them apart:

- ``ROBOKASSA_FIRST_INV_ID``: the plugin numbers its invoices from there (set it above the shop's
  own order numbers); the database's counter is moved up once, the first time it is below.
- A number that already has a notification (paid through other code) is never given to an
  invoice: it is skipped.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import IntegrityError, connection, transaction

from ..conf import setting
from ..models import Invoice, SuccessNotification
from ..protocol import MAX_INV_ID
from .sql import column_of

logger = logging.getLogger("wagtail_robokassa.payments")

MAX_ATTEMPTS = 50


class NumberingExhausted(RuntimeError):
    """No free InvId could be found (the numbering reached its end, or everything is taken)."""


def first_inv_id() -> int:
    return setting("ROBOKASSA_FIRST_INV_ID")


def create_invoice(**fields: Any) -> Invoice:
    """Create an invoice whose number is at least ``ROBOKASSA_FIRST_INV_ID`` and unused."""
    first = first_inv_id()
    for _attempt in range(MAX_ATTEMPTS):
        invoice = _create(fields)
        if invoice.pk > MAX_INV_ID:
            invoice.delete()
            raise NumberingExhausted(f"invoice numbers passed {MAX_INV_ID}, ROBOKASSA's largest")
        if invoice.pk < first:
            invoice.delete()
            _move_counter_to(first)
            continue
        if not SuccessNotification.objects.filter(inv_id=invoice.pk).exists():
            return invoice
        logger.warning(
            "ROBOKASSA InvId %s was already paid through other code; skipping it", invoice.pk
        )
        invoice.delete()
    raise NumberingExhausted(f"no free InvId in {MAX_ATTEMPTS} attempts")


def _create(fields: dict[str, Any]) -> Invoice:
    try:
        with transaction.atomic():
            return Invoice.objects.create(**fields)
    except IntegrityError:  # the counter was just moved under a number taken by hand
        with transaction.atomic():
            return Invoice.objects.create(**fields)


def _move_counter_to(first: int) -> None:
    """Make the database's next automatic invoice number at least ``first``."""
    table = Invoice._meta.db_table
    column = column_of(Invoice._meta.pk)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), "  # noqa: S608 - quoted names
                f"GREATEST(%s, (SELECT COALESCE(MAX({quote(column)}), 0) FROM {quote(table)})))",
                [table, column, first - 1],
            )
        elif connection.vendor == "sqlite":
            cursor.execute(
                "UPDATE sqlite_sequence SET seq = MAX(seq, %s) WHERE name = %s", [first - 1, table]
            )
        elif connection.vendor == "mysql":
            cursor.execute(f"ALTER TABLE {quote(table)} AUTO_INCREMENT = {int(first)}")
        else:
            raise NumberingExhausted(
                f"ROBOKASSA_FIRST_INV_ID cannot move the invoice counter on {connection.vendor}: "
                "move it by hand"
            )
