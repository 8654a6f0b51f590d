"""Writing a payment exactly once: the notification, and the invoice's one transition to paid.

The unique constraint on (merchant login, test flag, InvId) decides which delivery is first.
Three ways to write, by what the database can do:

- PostgreSQL: one statement (a data-modifying CTE) checks the invoice's amount and mode, inserts
  the notification with ``ON CONFLICT DO NOTHING``, links and marks the invoice paid. One round
  trip; no transaction of our own is needed unless signal receivers must share it.
- SQLite (3.35+): ``INSERT … ON CONFLICT DO NOTHING RETURNING`` then ``UPDATE … RETURNING``,
  inside the caller's transaction.
- Others: a savepoint around the insert, and ``select_for_update``.

Every way refuses a notification whose amount or test flag differs from its invoice's, and
writes nothing for it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, JSONField, OuterRef, Q

from ..models import Invoice, InvoiceStatus, RejectionReason, SuccessNotification
from ..protocol import Callback
from .verification import Refusal

UNIQUE_KEY = ("merchant_login", "is_test", "inv_id")


@dataclass(frozen=True)
class Recorded:
    """The outcome of a write: the new notification's id (None for a repeat) and its invoice's."""

    notification_id: int | None
    invoice_id: int | None
    invoice: Invoice | None = None  # when this path loaded it anyway

    @property
    def duplicate(self) -> bool:
        return self.notification_id is None


def one_statement() -> bool:
    """Whether this database records a payment in one statement (no transaction needed)."""
    return connection.vendor == "postgresql"


def _upsert() -> bool:
    return connection.vendor == "sqlite" and connection.features.can_return_columns_from_insert


def _quoted(model: Any, *names: str) -> list[str]:
    meta = model._meta
    return [
        connection.ops.quote_name(meta.pk.column if name == "pk" else meta.get_field(name).column)
        for name in names
    ]


def _stored_fields() -> list[Any]:
    return [f for f in SuccessNotification._meta.concrete_fields if not f.primary_key]


def _check_invoice(found: Any, callback: Callback, login: str) -> None:
    """Refuse a notification that does not fit its invoice (``found``: the invoice's
    ``(amount, is_test, merchant_login)``, or None when there is no invoice)."""
    if found is None:
        return
    amount, is_test, invoice_login = found
    if invoice_login != login:
        raise Refusal(
            RejectionReason.MERCHANT_MISMATCH,
            "signed by another shop than the one that issued this payment",
            callback=callback,
        )
    if is_test != callback.is_test:
        raise Refusal(
            RejectionReason.MODE_MISMATCH,
            f"IsTest={int(callback.is_test)} for a {'test' if is_test else 'live'} payment",
            callback=callback,
        )
    if amount != callback.out_sum:
        raise Refusal(
            RejectionReason.AMOUNT_MISMATCH,
            f"OutSum {callback.out_sum_raw} for a payment of {amount}",
            callback=callback,
        )


def _unknown_invoice(callback: Callback) -> Refusal:
    return Refusal(RejectionReason.UNKNOWN_INVOICE, "no payment with this InvId", callback=callback)


def record_payment(
    values: dict[str, Any], callback: Callback, *, now: datetime, require_invoice: bool
) -> Recorded:
    """Record a verified notification once and mark its invoice paid; raise ``Refusal`` for an
    invoice whose merchant, amount or mode differs (or a missing one when invoices are required).

    ``values`` are the notification's fields other than its invoice, times and counters.
    """
    if one_statement():
        return _record_in_one_statement(values, callback, now, require_invoice)
    notification = SuccessNotification(**values, created_at=now)
    recorded = (
        _insert_returning(notification) if _upsert() else _insert_with_savepoint(notification)
    )
    if recorded.duplicate:  # the first delivery was checked against the invoice
        return recorded
    if recorded.invoice_id is None:
        if require_invoice:
            raise _unknown_invoice(callback)
        return recorded
    invoice = _mark_paid(recorded.invoice_id, now)
    if invoice is not None:  # a mismatch raises, and the caller's transaction rolls back
        found = (invoice.amount, invoice.is_test, invoice.merchant_login)
        _check_invoice(found, callback, values["merchant_login"])
    return Recorded(recorded.notification_id, recorded.invoice_id, invoice)


@functools.cache
def _one_statement_sql() -> tuple[str, tuple[tuple[str, bool], ...]]:
    """The PostgreSQL statement, and the (field name, needs adapting) of its value slots."""
    fields = _stored_fields()
    invoice_column = SuccessNotification._meta.get_field("invoice").column
    quote = connection.ops.quote_name
    invoice_table = quote(Invoice._meta.db_table)
    pk, amount, is_test, login, status, paid_at, updated_at = _quoted(
        Invoice, "pk", "amount", "is_test", "merchant_login", "status", "paid_at", "updated_at"
    )
    notification_pk, linked = _quoted(SuccessNotification, "pk", "invoice")
    slots = tuple(
        (f.attname, isinstance(f, JSONField)) for f in fields if f.column != invoice_column
    )
    values = ["invoice." + pk if f.column == invoice_column else "%s" for f in fields]
    sql = f"""
        WITH invoice AS (
            SELECT {pk}, {amount}, {is_test}, {login} FROM {invoice_table} WHERE {pk} = %s
        ), inserted AS (
            INSERT INTO {quote(SuccessNotification._meta.db_table)}
                ({", ".join(quote(f.column) for f in fields)})
            SELECT {", ".join(values)} FROM (SELECT 1) AS one LEFT JOIN invoice ON TRUE
            WHERE CASE WHEN invoice.{pk} IS NULL THEN %s
                       ELSE invoice.{amount} = %s AND invoice.{is_test} = %s
                            AND invoice.{login} = %s END
            ON CONFLICT ({", ".join(_quoted(SuccessNotification, *UNIQUE_KEY))}) DO NOTHING
            RETURNING {notification_pk}, {linked}
        ), paid AS (
            UPDATE {invoice_table} SET {status} = %s, {paid_at} = %s, {updated_at} = %s
            WHERE {pk} = (SELECT {linked} FROM inserted) AND {status} <> %s
            RETURNING {pk}
        )
        SELECT (SELECT {notification_pk} FROM inserted), (SELECT {linked} FROM inserted),
               invoice.{pk}, invoice.{amount}, invoice.{is_test}, invoice.{login}
        FROM (SELECT 1) AS one LEFT JOIN invoice ON TRUE
    """
    return sql, slots


def _record_in_one_statement(
    values: dict[str, Any], callback: Callback, now: datetime, require_invoice: bool
) -> Recorded:
    sql, slots = _one_statement_sql()
    row = {"created_at": now, "deliveries": 1, "last_delivery_at": None, **values}
    adapt_json = connection.ops.adapt_json_value
    params = [adapt_json(row[name], None) if is_json else row[name] for name, is_json in slots]
    paid = InvoiceStatus.PAID.value
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            [
                callback.inv_id,
                *params,
                not require_invoice,
                callback.out_sum,
                callback.is_test,
                values["merchant_login"],
                *(paid, now, now, paid),
            ],
        )
        new_id, invoice_id, found_id, *found = cursor.fetchone()
    if new_id is None:
        _check_invoice(None if found_id is None else found, callback, values["merchant_login"])
        if found_id is None and require_invoice:
            raise _unknown_invoice(callback)
    return Recorded(new_id, invoice_id)


def _insert_returning(notification: SuccessNotification) -> Recorded:
    fields = _stored_fields()
    params = [f.get_db_prep_save(f.pre_save(notification, add=True), connection) for f in fields]
    invoice_column = SuccessNotification._meta.get_field("invoice").column
    quote = connection.ops.quote_name
    (invoice_pk,) = _quoted(Invoice, "pk")
    notification_pk, linked = _quoted(SuccessNotification, "pk", "invoice")
    values = [
        f"(SELECT {invoice_pk} FROM {quote(Invoice._meta.db_table)} WHERE {invoice_pk} = %s)"
        if f.column == invoice_column
        else "%s"
        for f in fields
    ]
    params = [
        notification.inv_id if f.column == invoice_column else value
        for f, value in zip(fields, params, strict=True)
    ]
    sql = (
        f"INSERT INTO {quote(SuccessNotification._meta.db_table)} "
        f"({', '.join(quote(f.column) for f in fields)}) VALUES ({', '.join(values)}) "
        f"ON CONFLICT ({', '.join(_quoted(SuccessNotification, *UNIQUE_KEY))}) DO NOTHING "
        f"RETURNING {notification_pk}, {linked}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    return Recorded(*row) if row else Recorded(None, None)


def _insert_with_savepoint(notification: SuccessNotification) -> Recorded:
    if Invoice.objects.filter(pk=notification.inv_id).exists():
        notification.invoice_id = notification.inv_id
    try:
        with transaction.atomic():
            notification.save(force_insert=True)
    except IntegrityError:
        key = {name: getattr(notification, name) for name in UNIQUE_KEY}
        if SuccessNotification.objects.filter(**key).exists():
            return Recorded(None, None)
        raise
    return Recorded(notification.pk, notification.invoice_id)


def _mark_paid(invoice_id: int, now: datetime) -> Invoice | None:
    """Move the invoice to paid (from any other state); the caller's transaction guards it."""
    if _upsert():
        pk, status, paid_at, updated_at = _quoted(Invoice, "pk", "status", "paid_at", "updated_at")
        stamp = connection.ops.adapt_datetimefield_value(now)
        sql = (
            f"UPDATE {connection.ops.quote_name(Invoice._meta.db_table)} "
            f"SET {status} = %s, {paid_at} = %s, {updated_at} = %s "
            f"WHERE {pk} = %s AND {status} <> %s RETURNING *"
        )
        paid = InvoiceStatus.PAID.value
        invoice = next(iter(Invoice.objects.raw(sql, [paid, stamp, stamp, invoice_id, paid])), None)
        return invoice or Invoice.objects.filter(pk=invoice_id).first()
    invoice = Invoice.objects.select_for_update().filter(pk=invoice_id).first()
    if invoice is not None and invoice.status != InvoiceStatus.PAID:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = now
        invoice.save(update_fields=["status", "paid_at", "updated_at"])
    return invoice


def count_repeat_delivery(key: dict[str, Any], callback: Callback, now: datetime) -> None:
    """A repeated delivery of a recorded notification: counted, when it is the same payment.

    A stored row with another amount, or recorded before this InvId became one of our invoices (a
    number paid through other code), is a different payment: refused, never acknowledged as this
    one. One statement: the count only moves when the row matches.
    """
    invoice_exists = Exists(Invoice.objects.filter(pk=OuterRef("inv_id")))
    same_payment = SuccessNotification.objects.filter(**key, out_sum=callback.out_sum).filter(
        Q(invoice__isnull=False) | ~invoice_exists
    )
    if same_payment.update(deliveries=F("deliveries") + 1, last_delivery_at=now):
        return
    stored = SuccessNotification.objects.filter(**key).values_list("out_sum", flat=True).first()
    if stored is None:  # rows are never deleted; if one was, let ROBOKASSA try again
        raise LookupError("the recorded notification is gone")
    raise Refusal(
        RejectionReason.DIFFERENT_PAYMENT,
        f"InvId {callback.inv_id} was recorded for another payment"
        + ("" if stored == callback.out_sum else f" of {stored}"),
        status=409,
        callback=callback,
    )
