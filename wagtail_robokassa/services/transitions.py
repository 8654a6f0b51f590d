"""State changes of the records that follow a request at ROBOKASSA (refunds, final receipts):
each a conditional ``UPDATE`` from the state it leaves, so that it happens once whoever runs at
the same moment; checks again later with a doubling wait; signals that cannot undo what moved."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Model
from django.dispatch import Signal
from django.utils import timezone

from .storable import storable


def move(record: Model, leaving: str, state: str, **changes: Any) -> bool:
    """Move ``record`` from ``leaving`` to ``state`` once (False: it was not in ``leaving``)."""
    if "message" in changes:
        changes["message"] = storable(changes["message"][:255])
    return bool(
        type(record)
        ._default_manager.filter(pk=record.pk, state=leaving)
        .update(state=state, updated_at=timezone.now(), **changes)
    )


def check_later(
    record: Any, now: datetime, message: str, *, first: timedelta, longest: timedelta
) -> None:
    """Count a state check and set the next one: ``first``, doubling up to ``longest``."""
    wait = min(first * 2 ** min(record.polls, 16), longest)
    type(record)._default_manager.filter(pk=record.pk).update(
        polls=F("polls") + 1, next_poll_at=now + wait, message=storable(message[:255])
    )


def announce(signal: Signal, record: Model, logger: logging.Logger, **arguments: Any) -> None:
    """Send ``signal`` for ``record`` as it is now; a receiver's error is logged, not raised:
    the change is committed and must not be retried."""
    record.refresh_from_db()
    for receiver, result in signal.send_robust(sender=type(record), **arguments):
        if isinstance(result, Exception):
            logger.error("ROBOKASSA signal receiver %r failed", receiver, exc_info=result)
