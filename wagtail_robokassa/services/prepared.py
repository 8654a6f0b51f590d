"""Running the Result URL's one statement as a prepared statement on PostgreSQL.

Planning that statement costs PostgreSQL several times what running it does; prepared once per
connection (``PREPARE``, then ``EXECUTE`` with the values), it is planned once. That pays only
where connections outlive a request (``CONN_MAX_AGE`` other than 0, or Django's connection
pool); with a new connection per request the statement runs unprepared. Django does not prepare
statements by default because connection poolers in transaction mode (PgBouncer before 1.21, for
one) move a client between server connections, losing them. So:

- ``ROBOKASSA_PREPARED_STATEMENTS = False`` turns this off;
- a statement the server does not have (SQLSTATE 26000) turns it off for the process, with a
  warning that says so, and the delivery is written unprepared (outside a transaction), or
  answered with a 5xx that ROBOKASSA retries (inside one, which the error aborted);
- with ``server_side_binding`` in the database's ``OPTIONS``, psycopg prepares statements itself
  (its ``prepare_threshold``) and this module stays out of the way.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import weakref
from collections.abc import Mapping
from contextlib import nullcontext
from typing import Any

from django.db import DatabaseError, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from ..conf import setting

logger = logging.getLogger("wagtail_robokassa.prepared")

#: SQLSTATE of a prepared statement the server does not have (a pooler moved the client to
#: another server connection).
LOST_STATEMENT = "26000"
ALREADY_PREPARED = "42P05"

_lost = False


def can_prepare(db: BaseDatabaseWrapper) -> bool:
    """Whether statements on ``db`` are prepared here (see the module docstring)."""
    options = db.settings_dict.get("OPTIONS", {})
    return (
        not _lost
        and db.vendor == "postgresql"
        and not options.get("server_side_binding")
        and (db.settings_dict.get("CONN_MAX_AGE") != 0 or bool(options.get("pool")))
        and bool(setting("ROBOKASSA_PREPARED_STATEMENTS", True))
    )


def fetch_one(db: BaseDatabaseWrapper, sql: str, params: Mapping[str, Any]) -> tuple[Any, ...]:
    """Run ``sql`` (named ``%(name)s`` placeholders, no literal ``%``) on ``db`` and return its
    one row, prepared when it can be. Both go through Django's cursors (execute wrappers and
    query logging see them)."""
    if can_prepare(db):
        try:
            return _fetch_prepared(db, sql, params)
        except DatabaseError as error:
            if _sqlstate(error) != LOST_STATEMENT:
                raise
            _give_up(error)
            if db.in_atomic_block:
                raise
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _fetch_prepared(
    db: BaseDatabaseWrapper, sql: str, params: Mapping[str, Any]
) -> tuple[Any, ...]:
    name, numbered, names = _statement(sql)
    with db.cursor() as cursor:
        prepared = _prepared_on(db.connection)
        if name not in prepared:
            _prepare(db, cursor, name, numbered)
            prepared.add(name)
        cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(names))})", [
            params[key] for key in names
        ])  # fmt: skip
        return cursor.fetchone()


@functools.lru_cache(maxsize=16)
def _statement(sql: str) -> tuple[str, str, tuple[str, ...]]:
    """The statement's name (a hash of it), its text for ``PREPARE`` (``$1``, ``$2``, … one per
    name) and the names in that order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match[1] not in names:
            names.append(match[1])
        return f"${names.index(match[1]) + 1}"

    numbered = re.sub(r"%\((\w+)\)s", number, sql)
    return "robokassa_" + hashlib.sha256(sql.encode()).hexdigest()[:20], numbered, tuple(names)


def _prepare(db: BaseDatabaseWrapper, cursor: Any, name: str, numbered: str) -> None:
    """``PREPARE`` (not transactional: it outlives a rollback of the delivery it came with).
    A statement of that name is this very statement (the name is its hash): a pooled connection
    met again, or another client's on a pooler's server connection."""
    inside = transaction.atomic(using=db.alias) if db.in_atomic_block else nullcontext()
    try:
        with inside:  # a savepoint, so that a refused PREPARE leaves the transaction usable
            cursor.execute(f"PREPARE {name} AS {numbered}")
    except DatabaseError as error:
        if _sqlstate(error) != ALREADY_PREPARED:
            raise


#: The statements prepared on each server connection (a pooled one is met again later).
_prepared: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


def _prepared_on(raw_connection: Any) -> set[str]:
    names = _prepared.get(raw_connection)
    if names is None:
        names = _prepared[raw_connection] = set()
    return names


def _give_up(error: DatabaseError) -> None:
    global _lost
    _lost = True
    logger.warning(
        "PostgreSQL lost a prepared statement (%s): a connection pooler in transaction mode? "
        "The Result URL no longer prepares its statement in this process; set "
        "ROBOKASSA_PREPARED_STATEMENTS = False to say so.",
        type(error.__cause__ or error).__name__,
    )


def _sqlstate(error: BaseException) -> str | None:
    cause = error.__cause__
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)


def forget_lost() -> None:
    """Prepare again (tests)."""
    global _lost
    _lost = False
