"""Writing a notification exactly once, and the invoice's one transition to paid.

The unique constraint on (merchant login, test flag, InvId) decides which delivery is first. On
PostgreSQL and SQLite one ``INSERT … ON CONFLICT DO NOTHING RETURNING`` arbitrates, links the
invoice and reports the outcome in one round trip, and one conditional ``UPDATE … RETURNING``
marks the invoice paid: two statements for a payment, no savepoint. Other databases take the
portable path: a savepoint around the insert, and ``select_for_update``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import F

from ..models import Invoice, InvoiceStatus, SuccessNotification

UNIQUE_KEY = ("merchant_login", "is_test", "inv_id")
_UPSERT_VENDORS = frozenset({"postgresql", "sqlite"})


def _single_statement() -> bool:
    return (
        connection.vendor in _UPSERT_VENDORS and connection.features.can_return_columns_from_insert
    )


def _insert_sql(columns: list[str], invoice_column: str) -> str:
    quote = connection.ops.quote_name
    notification_meta = SuccessNotification._meta
    invoice_meta = Invoice._meta
    values = [
        f"(SELECT {quote(invoice_meta.pk.column)} FROM {quote(invoice_meta.db_table)} "
        f"WHERE {quote(invoice_meta.pk.column)} = %s)"
        if column == invoice_column
        else "%s"
        for column in columns
    ]
    return (
        f"INSERT INTO {quote(notification_meta.db_table)} "
        f"({', '.join(quote(c) for c in columns)}) VALUES ({', '.join(values)}) "
        f"ON CONFLICT ({', '.join(quote(c) for c in UNIQUE_KEY)}) DO NOTHING "
        f"RETURNING {quote(notification_meta.pk.column)}, {quote(invoice_column)}"
    )


def insert_once(values: dict[str, Any]) -> SuccessNotification | None:
    """Insert a notification linked to its invoice if one exists; ``None`` for a repeat."""
    notification = SuccessNotification(**values)
    if not _single_statement():
        return _insert_with_savepoint(notification)
    fields = [f for f in SuccessNotification._meta.concrete_fields if not f.primary_key]
    invoice_column = SuccessNotification._meta.get_field("invoice").column
    params = [
        notification.inv_id
        if f.column == invoice_column
        else f.get_db_prep_save(f.pre_save(notification, add=True), connection)
        for f in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql([f.column for f in fields], invoice_column), params)
        row = cursor.fetchone()
    if row is None:
        return None
    notification.pk, notification.invoice_id = row
    notification._state.adding = False
    notification._state.db = connection.alias
    return notification


def _insert_with_savepoint(notification: SuccessNotification) -> SuccessNotification | None:
    if Invoice.objects.filter(pk=notification.inv_id).exists():
        notification.invoice_id = notification.inv_id
    try:
        with transaction.atomic():
            notification.save(force_insert=True)
    except IntegrityError:
        key = {name: getattr(notification, name) for name in UNIQUE_KEY}
        if SuccessNotification.objects.filter(**key).exists():
            return None
        raise
    return notification


def mark_paid(invoice_id: int, now: datetime) -> Invoice | None:
    """Move the invoice to paid (from any other state) and return it, or None if it vanished.

    The caller checks the returned invoice's amount and mode and rolls the transaction back on
    a mismatch, so the transition only stands for a matching payment.
    """
    if _single_statement():
        quote = connection.ops.quote_name
        meta = Invoice._meta
        column = {name: quote(meta.get_field(name).column) for name in ("status", "paid_at")}
        updated = quote(meta.get_field("updated_at").column)
        stamp = connection.ops.adapt_datetimefield_value(now)
        sql = (
            f"UPDATE {quote(meta.db_table)} SET {column['status']} = %s, "
            f"{column['paid_at']} = %s, {updated} = %s "
            f"WHERE {quote(meta.pk.column)} = %s AND {column['status']} <> %s RETURNING *"
        )
        params = [InvoiceStatus.PAID.value, stamp, stamp, invoice_id, InvoiceStatus.PAID.value]
        invoice = next(iter(Invoice.objects.raw(sql, params)), None)
        return invoice or Invoice.objects.filter(pk=invoice_id).first()
    invoice = Invoice.objects.select_for_update().filter(pk=invoice_id).first()
    if invoice is not None and invoice.status != InvoiceStatus.PAID:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = now
        invoice.save(update_fields=["status", "paid_at", "updated_at"])
    return invoice


def count_repeat_delivery(key: dict[str, Any], now: datetime) -> None:
    """A repeated delivery of a recorded notification: counted, nothing else."""
    SuccessNotification.objects.filter(**key).update(
        deliveries=F("deliveries") + 1, last_delivery_at=now
    )
