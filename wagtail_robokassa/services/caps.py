"""What unauthenticated requests may store: capped per minute, and written despite a broken
connection.

Two caps per kind of row: one per client group (an IPv4 address, an IPv6 /64), so that one
flooding client cannot crowd out the genuine rows from ROBOKASSA's addresses, and one for everybody,
so that many clients cannot fill the disk either. Past a cap a request is only counted
(``RejectionOverflow``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from .. import ratelimit
from ..conf import setting
from ..models import RejectionOverflow

T = TypeVar("T")


@dataclass(frozen=True)
class StorageCap:
    """The caps on one kind of row: the name of the setting per minute for everybody and
    per client group."""

    model: Any
    kind: str
    per_minute: str
    per_address: str

    def allows(self, client_ip: str | None) -> bool:
        """Whether one more row may be stored for this client now; if not, it is counted."""
        minute = timezone.now().replace(second=0, microsecond=0)
        per_address = setting(self.per_address)
        ceiling = setting(self.per_minute)
        if ratelimit.allow(f"{self.kind}:stored", client_ip, per_address, 60) and (
            self.model.objects.filter(created_at__gte=minute).count() < ceiling
        ):
            return True
        count_overflow(minute, self.kind)
        return False


def count_overflow(minute: datetime, kind: str) -> None:
    rows = RejectionOverflow.objects.filter(minute=minute, kind=kind)
    if rows.update(count=F("count") + 1):
        return
    try:
        with transaction.atomic():
            RejectionOverflow.objects.create(minute=minute, kind=kind, count=1)
    except IntegrityError:  # another process created this minute's row first
        rows.update(count=F("count") + 1)


def with_reconnect(write: Callable[[], T]) -> T:
    """Run a write; when the database connection broke (a restarted server, a terminated
    backend) and no transaction is open, reconnect once and run it again."""
    try:
        return write()
    except DatabaseError:
        if connection.in_atomic_block:
            raise
        connection.close_if_unusable_or_obsolete()
        return write()
