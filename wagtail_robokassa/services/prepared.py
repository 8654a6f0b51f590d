"""Running the Result URL's one statement as a prepared statement on PostgreSQL.

Planning that statement costs PostgreSQL several times what running it does; prepared once per
connection (``PREPARE``, then ``EXECUTE`` with the values), it is planned once. Django does not
prepare statements by default because connection poolers in transaction mode (PgBouncer before
1.21, for one) move a client between server connections, losing them. So:

- ``ROBOKASSA_PREPARED_STATEMENTS = False`` turns this off;
- a statement the server does not have turns it off for the process, with a warning that says
  so, and the delivery is written unprepared (outside a transaction), or answered with a 5xx
  that ROBOKASSA retries (inside one, which the error aborted);
- with ``server_side_binding`` in the database's ``OPTIONS``, psycopg prepares statements itself
  (its ``prepare_threshold``) and this module stays out of the way.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from typing import Any

from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper

from ..conf import setting

logger = logging.getLogger("wagtail_robokassa.prepared")

#: SQLSTATEs of a prepared statement the server does not have, or has already (a pooler moved
#: the client to another server connection).
LOST_STATEMENT = {"26000", "42P05"}

_lost = False


def can_prepare(db: BaseDatabaseWrapper) -> bool:
    """Whether statements on ``db`` are prepared here (see the module docstring)."""
    return (
        not _lost
        and db.vendor == "postgresql"
        and not db.settings_dict.get("OPTIONS", {}).get("server_side_binding")
        and bool(setting("ROBOKASSA_PREPARED_STATEMENTS", True))
    )


def fetch_one(db: BaseDatabaseWrapper, sql: str, params: Sequence[Any]) -> tuple[Any, ...]:
    """Run ``sql`` (``%s`` placeholders, no literal ``%``) on ``db`` and return its one row,
    prepared when it can be. Both go through Django's cursors (execute wrappers and query
    logging see them)."""
    if can_prepare(db):
        try:
            return _fetch_prepared(db, sql, params)
        except DatabaseError as error:
            if _sqlstate(error) not in LOST_STATEMENT:
                raise
            _give_up(error)
            if db.in_atomic_block:
                raise
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _fetch_prepared(db: BaseDatabaseWrapper, sql: str, params: Sequence[Any]) -> tuple[Any, ...]:
    name = "robokassa_" + hashlib.sha256(sql.encode()).hexdigest()[:20]
    with db.cursor() as cursor:
        prepared = _prepared_on(db)
        if name not in prepared:
            # Not transactional: it outlives a rollback of the delivery it came with.
            cursor.execute(f"PREPARE {name} AS {_numbered(sql)}")
            prepared.add(name)
        cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params)
        return cursor.fetchone()


def _prepared_on(db: BaseDatabaseWrapper) -> set[str]:
    """The statements prepared on ``db``'s current server connection (a new connection, after
    a reconnect, has none)."""
    raw, names = getattr(db, "_robokassa_prepared", (None, set()))
    if raw is not db.connection:
        raw, names = db.connection, set()
        db._robokassa_prepared = (raw, names)  # type: ignore[attr-defined]
    return names


def _numbered(sql: str) -> str:
    """``%s`` placeholders as ``$1``, ``$2``, … for ``PREPARE``."""
    count = iter(range(1, sql.count("%s") + 1))
    return re.sub("%s", lambda match: f"${next(count)}", sql)


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
