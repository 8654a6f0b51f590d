"""Running the Result URL's one statement as a prepared statement on PostgreSQL.

Parsing and planning that statement costs PostgreSQL more than running it, and binding its
values into the SQL text costs Python more than sending them. So, with psycopg 3, it runs
through a cursor that sends the values apart from the SQL (server-side binding), and psycopg
prepares it on the connection the first time (the same round trip) and then only binds values.
That pays only where connections outlive a request (``CONN_MAX_AGE`` other than 0, or Django's
connection pool); with a new connection per request the statement runs as any other.

Django does not prepare statements by default because connection poolers in transaction mode
before PgBouncer 1.21 move a client between server connections, losing them. So:

- ``ROBOKASSA_PREPARED_STATEMENTS = False`` turns this off, and so does an explicit
  ``"prepare_threshold": None`` in the database's ``OPTIONS``;
- a statement the server does not have (SQLSTATE 26000), or a name it already has (42P05),
  turns it off for the process, with a warning that says so, and the delivery is written
  unprepared (outside a transaction), or answered with a 5xx that ROBOKASSA retries (inside
  one, which the error aborted);
- with ``server_side_binding`` in ``OPTIONS`` every Django cursor binds on the server and
  psycopg prepares by its own ``prepare_threshold``: this module stays out of the way.

psycopg keeps, per connection, which statements it prepared, and forgets them (deallocating
them on the server) when the connection rolls back, so the cache and the server agree.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

from ..conf import setting

logger = logging.getLogger("wagtail_robokassa.prepared")

#: SQLSTATEs of a prepared statement the server does not have, or has under that name already
#: (a pooler moved the client to another server connection).
LOST_STATEMENT = "26000"
ALREADY_PREPARED = "42P05"

_lost = False


def can_prepare(db: BaseDatabaseWrapper) -> bool:
    """Whether the statement is prepared on ``db`` (see the module docstring)."""
    if _lost or db.vendor != "postgresql" or not _psycopg3(db):
        return False
    options = db.settings_dict.get("OPTIONS", {})
    if options.get("server_side_binding"):
        return False
    if "prepare_threshold" in options and options["prepare_threshold"] is None:
        return False  # said in so many words: this pooler loses prepared statements
    return (db.settings_dict.get("CONN_MAX_AGE") != 0 or bool(options.get("pool"))) and bool(
        setting("ROBOKASSA_PREPARED_STATEMENTS")
    )


def _psycopg3(db: BaseDatabaseWrapper) -> bool:
    from django.db.backends.postgresql.psycopg_any import is_psycopg3

    return bool(is_psycopg3)


def fetch_one(db: BaseDatabaseWrapper, sql: str, params: Mapping[str, Any]) -> tuple[Any, ...]:
    """Run ``sql`` (named ``%(name)s`` placeholders, no literal ``%``) on ``db`` and return its
    one row, prepared when it can be. Both go through Django's cursor wrappers (execute
    wrappers and query logging see them)."""
    if can_prepare(db):
        try:
            return _fetch_prepared(db, sql, params)
        except DatabaseError as error:
            if _sqlstate(error) not in (LOST_STATEMENT, ALREADY_PREPARED):
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
    import psycopg

    db.validate_thread_sharing()
    db.ensure_connection()
    raw = db.connection
    # Django turns psycopg's preparing off for the connection (threshold None); on for this
    # statement only, at once. Django's own cursors bind on the client and never prepare.
    threshold = raw.prepare_threshold
    raw.prepare_threshold = 0
    try:
        binding = psycopg.Cursor(raw)
        wrapper = _LoggedCursor if db.queries_logged else CursorWrapper
        cursor = wrapper(binding, db)
        with cursor:
            cursor.execute(sql, params)
            return cursor.fetchone()
    finally:
        raw.prepare_threshold = threshold


class _LoggedCursor(CursorDebugWrapper):
    """Logs the statement as Django logs one bound on the server, its values composed in
    (psycopg keeps no query text for the execution of a prepared statement)."""

    def execute(self, sql: Any, params: Any = None) -> Any:
        with self.debug_sql(self.db.ops.compose_sql(sql, params), params):
            return CursorWrapper.execute(self, sql, params)


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
