"""The ways of writing a verified payment exactly once, one per kind of database that needs it.

Each records the notification (the unique constraint on merchant login, test flag and InvId
decides which delivery is first), links it to its invoice, marks the invoice paid, and refuses a
notification whose merchant, amount or test flag differs from its invoice's, writing nothing for
it. Each returns the invoice as it is after the write, without reading it back.

- ``one_statement`` (PostgreSQL): one data-modifying CTE. One round trip, and no transaction of
  its own is needed unless signal receivers must share one.
- ``upsert`` (SQLite 3.35+; PostgreSQL can run it too): ``INSERT … ON CONFLICT DO NOTHING
  RETURNING``, then ``UPDATE … RETURNING``, inside the caller's transaction.
- ``portable`` (MySQL, MariaDB, older SQLite): a savepoint around the insert, then
  ``select_for_update``.

``ROBOKASSA_WRITE_PATH`` names one (``"auto"``, the default, takes the first this database
supports, in the order above); tests use it to run every path on every database.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Field, JSONField, Model

from ..conf import setting
from ..models import (
    Invoice,
    InvoiceStatus,
    RejectionReason,
    SuccessNotification,
)
from ..protocol import Callback
from . import prepared
from .guards import ConfigGuard, guard_ctes_sql
from .sql import column_of
from .verification import Refusal

UNIQUE_KEY = ("merchant_login", "is_test", "inv_id")
AUTO = "auto"


@dataclass(frozen=True)
class Recorded:
    """The outcome of a write: the new notification's id (None for a repeat) and, for a new
    notification of a known payment, that invoice as it is now. ``stale``: nothing was written,
    because the configuration's guard no longer holds."""

    notification_id: int | None
    invoice: Invoice | None = None
    stale: bool = False

    @property
    def duplicate(self) -> bool:
        return self.notification_id is None


class WritePath:
    """One way of writing a payment (see the module docstring)."""

    #: The value of ``ROBOKASSA_WRITE_PATH`` that selects this path.
    name = ""
    #: Whether the write needs the caller's transaction (else it is atomic by itself).
    needs_transaction = True
    #: Whether the write checks a ``ConfigGuard`` (so that a kept configuration may be used).
    checks_guards = False

    def supports(self, db: BaseDatabaseWrapper) -> bool:
        raise NotImplementedError

    def record(
        self,
        values: dict[str, Any],
        callback: Callback,
        *,
        now: datetime,
        require_invoice: bool,
        guard: ConfigGuard | None = None,
    ) -> Recorded:
        """Record a verified notification once and mark its invoice paid; raise ``Refusal`` for
        an invoice whose merchant, amount or mode differs (or a missing one when invoices are
        required). ``values`` are the notification's fields but its invoice, times and counters.
        With a ``guard`` (only where ``checks_guards``), write nothing and return a ``stale``
        record unless it holds.
        """
        raise NotImplementedError


def check_invoice(found: Invoice | None, callback: Callback, login: str) -> None:
    """Refuse a notification that does not fit its invoice (None: there is no invoice)."""
    if found is None:
        return
    if found.merchant_login != login:
        raise Refusal(
            RejectionReason.MERCHANT_MISMATCH,
            "signed by another shop than the one that issued this payment",
            callback=callback,
        )
    if found.is_test != callback.is_test:
        raise Refusal(
            RejectionReason.MODE_MISMATCH,
            f"IsTest={int(callback.is_test)} for a {'test' if found.is_test else 'live'} payment",
            callback=callback,
        )
    if found.amount != callback.out_sum:
        raise Refusal(
            RejectionReason.AMOUNT_MISMATCH,
            f"OutSum {callback.out_sum_raw} for a payment of {found.amount}",
            callback=callback,
        )


def unknown_invoice(callback: Callback) -> Refusal:
    return Refusal(RejectionReason.UNKNOWN_INVOICE, "no payment with this InvId", callback=callback)


def _columns(model: type[Model], *names: str) -> list[str]:
    meta = model._meta
    return [
        connection.ops.quote_name(column_of(meta.pk if name == "pk" else meta.get_field(name)))
        for name in names
    ]


def _stored_fields() -> list[Field]:
    return [f for f in SuccessNotification._meta.concrete_fields if not f.primary_key]


def _table(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


class OneStatement(WritePath):
    name = "one_statement"
    needs_transaction = False
    checks_guards = True

    def supports(self, db: BaseDatabaseWrapper) -> bool:
        return db.vendor == "postgresql"

    def record(
        self,
        values: dict[str, Any],
        callback: Callback,
        *,
        now: datetime,
        require_invoice: bool,
        guard: ConfigGuard | None = None,
    ) -> Recorded:
        db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs a lookup a use
        sql, json_fields = _one_statement_sql(guarded=guard is not None)
        params = {"created_at": now, "deliveries": 1, "last_delivery_at": None, **values}
        for name in json_fields:
            params[name] = db.ops.adapt_json_value(params[name], None)
        params["accept_unknown"] = not require_invoice
        params["paid"] = paid = InvoiceStatus.PAID.value
        if guard is not None:
            params.update(guard.params())
        login = values["merchant_login"]
        new_id, paid_now, current, *invoice_row = prepared.fetch_one(db, sql, params)
        if not current:
            return Recorded(None, stale=True)
        invoice = _invoice_from_row(invoice_row, db)
        if new_id is None:
            check_invoice(invoice, callback, login)
            if invoice is None and require_invoice:
                raise unknown_invoice(callback)
            return Recorded(None)
        if invoice is not None and paid_now:
            invoice.status, invoice.paid_at, invoice.updated_at = paid, now, now
        return Recorded(new_id, invoice)


def _unchecked(path: WritePath, guard: ConfigGuard | None) -> None:
    if guard is not None:
        raise ValueError(f"the {path.name} write path does not check configuration guards")


@functools.cache
def _one_statement_sql(*, guarded: bool) -> tuple[str, tuple[str, ...]]:
    """The PostgreSQL statement, and the fields whose values are JSON to adapt.

    Its placeholders are named: the notification's fields by attribute name (the invoice's
    checks reuse ``inv_id``, ``out_sum``, ``is_test``, ``merchant_login`` and ``created_at``),
    ``accept_unknown``, ``paid`` and, guarded, ``ConfigGuard.params()``'s. Guarded, it first
    finds the settings row that applies to the invoice (``ConfigGuard``) and writes only when
    that row and the Sites are as the guard says; its third column says so. Every value is cast
    to its column's type, so that the statement can be prepared.
    """
    fields = _stored_fields()
    invoice_column = column_of(SuccessNotification._meta.get_field("invoice"))
    quote = connection.ops.quote_name
    invoice_table = _table(Invoice)
    pk, amount, is_test, login, status, paid_at, updated_at = _columns(
        Invoice, "pk", "amount", "is_test", "merchant_login", "status", "paid_at", "updated_at"
    )
    invoice_columns = ", ".join(f"invoice.{quote(column_of(f))}" for f in _invoice_fields())
    notification_pk, linked = _columns(SuccessNotification, "pk", "invoice")
    json_fields = tuple(f.attname for f in fields if isinstance(f, JSONField))
    values = [
        "invoice." + pk
        if f.column == invoice_column
        else f"CAST(%({f.attname})s AS {f.db_type(connection)})"
        for f in fields
    ]
    current = "TRUE"
    guard = ""
    if guarded:
        current = "(SELECT ok FROM guard_holds)"
        guard = guard_ctes_sql() + ","
    sql = f"""
        WITH invoice AS (
            SELECT * FROM {invoice_table} WHERE {pk} = %(inv_id)s
        ),{guard} inserted AS (
            INSERT INTO {_table(SuccessNotification)}
                ({", ".join(quote(column_of(f)) for f in fields)})
            SELECT {", ".join(values)} FROM (SELECT 1) AS one LEFT JOIN invoice ON TRUE
            WHERE {current} AND CASE WHEN invoice.{pk} IS NULL THEN %(accept_unknown)s
                       ELSE invoice.{amount} = %(out_sum)s AND invoice.{is_test} = %(is_test)s
                            AND invoice.{login} = %(merchant_login)s END
            ON CONFLICT ({", ".join(_columns(SuccessNotification, *UNIQUE_KEY))}) DO NOTHING
            RETURNING {notification_pk}, {linked}
        ), paid AS (
            UPDATE {invoice_table}
            SET {status} = %(paid)s, {paid_at} = %(created_at)s, {updated_at} = %(created_at)s
            WHERE {pk} = (SELECT {linked} FROM inserted) AND {status} <> %(paid)s
            RETURNING {pk}
        )
        SELECT (SELECT {notification_pk} FROM inserted), EXISTS (SELECT 1 FROM paid), {current},
               {invoice_columns}
        FROM (SELECT 1) AS one LEFT JOIN invoice ON TRUE
    """
    return sql, json_fields


def _invoice_fields() -> list[Field]:
    return list(Invoice._meta.concrete_fields)


@functools.cache
def _invoice_readers(alias: str) -> tuple[tuple[Any, tuple[Any, ...]], ...]:
    """For each invoice column, its expression and the converters Django applies to values read
    from database ``alias``."""
    db = connections[alias]
    readers = []
    for field in _invoice_fields():
        expression = field.get_col(Invoice._meta.db_table)
        converters = tuple(db.ops.get_db_converters(expression) + field.get_db_converters(db))
        readers.append((expression, converters))
    return tuple(readers)


def _invoice_from_row(row: Sequence[Any], db: BaseDatabaseWrapper) -> Invoice | None:
    """An ``Invoice`` from the statement's invoice columns (all NULL: there is none)."""
    if row[0] is None:
        return None
    values = []
    for value, (expression, converters) in zip(row, _invoice_readers(db.alias), strict=True):
        for converter in converters:
            value = converter(value, expression, db)
        values.append(value)
    return Invoice.from_db(db.alias, _invoice_attnames(), values)


@functools.cache
def _invoice_attnames() -> list[str]:
    return [f.attname for f in _invoice_fields()]


class Upsert(WritePath):
    name = "upsert"

    def supports(self, db: BaseDatabaseWrapper) -> bool:
        return db.vendor in ("sqlite", "postgresql") and db.features.can_return_columns_from_insert

    def record(
        self,
        values: dict[str, Any],
        callback: Callback,
        *,
        now: datetime,
        require_invoice: bool,
        guard: ConfigGuard | None = None,
    ) -> Recorded:
        _unchecked(self, guard)
        notification = SuccessNotification(**values, created_at=now)
        new_id, invoice_id = self._insert(notification)
        return _finish(new_id, invoice_id, callback, values, now, require_invoice, self._mark_paid)

    def _insert(self, notification: SuccessNotification) -> tuple[int | None, int | None]:
        fields = _stored_fields()
        params = [
            f.get_db_prep_save(f.pre_save(notification, add=True), connection) for f in fields
        ]
        invoice_column = column_of(SuccessNotification._meta.get_field("invoice"))
        quote = connection.ops.quote_name
        (invoice_pk,) = _columns(Invoice, "pk")
        notification_pk, linked = _columns(SuccessNotification, "pk", "invoice")
        values = [
            f"(SELECT {invoice_pk} FROM {_table(Invoice)} WHERE {invoice_pk} = %s)"
            if f.column == invoice_column
            else "%s"
            for f in fields
        ]
        params = [
            notification.inv_id if f.column == invoice_column else value
            for f, value in zip(fields, params, strict=True)
        ]
        sql = (
            f"INSERT INTO {_table(SuccessNotification)} "
            f"({', '.join(quote(column_of(f)) for f in fields)}) VALUES ({', '.join(values)}) "
            f"ON CONFLICT ({', '.join(_columns(SuccessNotification, *UNIQUE_KEY))}) DO NOTHING "
            f"RETURNING {notification_pk}, {linked}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
        return (row[0], row[1]) if row else (None, None)

    @staticmethod
    def _mark_paid(invoice_id: int, now: datetime) -> Invoice | None:
        pk, status, paid_at, updated_at = _columns(Invoice, "pk", "status", "paid_at", "updated_at")
        stamp = connection.ops.adapt_datetimefield_value(now)
        sql = (
            f"UPDATE {_table(Invoice)} SET {status} = %s, {paid_at} = %s, {updated_at} = %s "
            f"WHERE {pk} = %s AND {status} <> %s RETURNING *"
        )
        paid = InvoiceStatus.PAID.value
        invoice = next(iter(Invoice.objects.raw(sql, [paid, stamp, stamp, invoice_id, paid])), None)
        return invoice or Invoice.objects.filter(pk=invoice_id).first()


class Portable(WritePath):
    name = "portable"

    def supports(self, db: BaseDatabaseWrapper) -> bool:
        return True

    def record(
        self,
        values: dict[str, Any],
        callback: Callback,
        *,
        now: datetime,
        require_invoice: bool,
        guard: ConfigGuard | None = None,
    ) -> Recorded:
        _unchecked(self, guard)
        notification = SuccessNotification(**values, created_at=now)
        if Invoice.objects.filter(pk=notification.inv_id).exists():
            notification.invoice_id = notification.inv_id
        try:
            with transaction.atomic():
                notification.save(force_insert=True)
        except IntegrityError:
            key = {name: getattr(notification, name) for name in UNIQUE_KEY}
            if SuccessNotification.objects.filter(**key).exists():
                return Recorded(None)
            raise
        return _finish(
            notification.pk,
            notification.invoice_id,
            callback,
            values,
            now,
            require_invoice,
            self._mark_paid,
        )

    @staticmethod
    def _mark_paid(invoice_id: int, now: datetime) -> Invoice | None:
        invoice = Invoice.objects.select_for_update().filter(pk=invoice_id).first()
        if invoice is not None and invoice.status != InvoiceStatus.PAID:
            invoice.status = InvoiceStatus.PAID
            invoice.paid_at = now
            invoice.save(update_fields=["status", "paid_at", "updated_at"])
        return invoice


def _finish(
    new_id: int | None,
    invoice_id: int | None,
    callback: Callback,
    values: dict[str, Any],
    now: datetime,
    require_invoice: bool,
    mark_paid: Any,
) -> Recorded:
    """After the insert of the two-step paths: mark the invoice paid, or refuse (the caller's
    transaction then rolls the insert back)."""
    if new_id is None:  # a repeat: the first delivery was checked against the invoice
        return Recorded(None)
    if invoice_id is None:
        if require_invoice:
            raise unknown_invoice(callback)
        return Recorded(new_id)
    invoice = mark_paid(invoice_id, now)
    check_invoice(invoice, callback, values["merchant_login"])
    return Recorded(new_id, invoice)


ONE_STATEMENT = OneStatement()
UPSERT = Upsert()
PORTABLE = Portable()
#: Every path, in the order ``"auto"`` tries them.
WRITE_PATHS: dict[str, WritePath] = {path.name: path for path in (ONE_STATEMENT, UPSERT, PORTABLE)}


#: The path in force per database alias, until ``ROBOKASSA_WRITE_PATH`` changes (it is read on
#: every delivery otherwise).
_in_force: dict[str, WritePath] = {}


def write_path(db: BaseDatabaseWrapper | None = None) -> WritePath:
    """The path in force for ``db`` (the default connection): ``ROBOKASSA_WRITE_PATH``, or the
    first one the database supports."""
    db = db or connection
    path = _in_force.get(db.alias)
    if path is None:
        path = _in_force[db.alias] = _choose(db)
    return path


def _choose(db: BaseDatabaseWrapper) -> WritePath:
    name = setting("ROBOKASSA_WRITE_PATH")
    if name == AUTO:
        return next(path for path in WRITE_PATHS.values() if path.supports(db))
    path = WRITE_PATHS.get(name)
    if path is None or not path.supports(db):
        raise ImproperlyConfigured(
            f"ROBOKASSA_WRITE_PATH {name!r} cannot write to {db.vendor}: use one of "
            f"{', '.join(supported_names(db))}"
        )
    return path


def supported_names(db: BaseDatabaseWrapper) -> list[str]:
    """``"auto"`` and the paths that ``db`` supports."""
    return [AUTO, *(name for name, path in WRITE_PATHS.items() if path.supports(db))]


def _forget_choices(*, setting: str, **kwargs: Any) -> None:
    if setting == "ROBOKASSA_WRITE_PATH":
        _in_force.clear()


setting_changed.connect(_forget_choices, dispatch_uid="wagtail_robokassa.write_paths.reset")
