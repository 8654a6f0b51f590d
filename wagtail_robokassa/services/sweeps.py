"""Sweeps: checking, at ROBOKASSA, the pending payments whose notification has not arrived.

A pending invoice is due once it is older than ``ROBOKASSA_RECONCILE_AFTER`` (ROBOKASSA
usually notifies within seconds), while it is younger than ``ROBOKASSA_RECONCILE_WITHIN``, and
when its back-off has passed. Workers running at once share the work: each claims an invoice by
moving its next check ahead with a conditional UPDATE, so that one invoice is asked about by one
worker at a time; a payment is credited once whatever happens (the notification's unique key).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from wagtail.models import Site

from ..conf import setting
from ..gateway.transport import Transport
from ..models import CheckOutcome, Invoice, InvoiceStatus
from .reconciliation import NOT_CREDITED, CheckResult, reconcile_invoice

#: Defaults of ``ROBOKASSA_RECONCILE_AFTER`` and ``ROBOKASSA_RECONCILE_WITHIN``.
#: How long a claimed invoice is left to the worker that claimed it.
CLAIM = timedelta(minutes=2)

_DURATION = re.compile(r"\s*([0-9]+)\s*([smhd]?)\s*\Z")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "": "minutes"}


def parse_duration(value: Any) -> timedelta:
    """A ``timedelta``, a number of seconds, or text such as ``"10m"``, ``"2h"``, ``"3d"`` (a
    bare number of text is minutes). Raises ``ValueError`` for anything else or a negative one."""
    if isinstance(value, timedelta):
        duration = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        duration = timedelta(seconds=value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        duration = timedelta(**{_UNITS[match[2]]: int(match[1])})
    else:
        raise ValueError(f"{value!r} is not a duration (such as 600, '10m', '2h' or '3d')")
    if duration < timedelta(0):
        raise ValueError(f"{value!r} is negative")
    return duration


def reconcile_window() -> tuple[timedelta, timedelta]:
    """``(after, within)`` from the settings; raises ``ValueError`` when they make no window."""
    after = parse_duration(setting("ROBOKASSA_RECONCILE_AFTER"))
    within = parse_duration(setting("ROBOKASSA_RECONCILE_WITHIN"))
    if within <= after:
        raise ValueError("ROBOKASSA_RECONCILE_WITHIN must be longer than ROBOKASSA_RECONCILE_AFTER")
    return after, within


def due_invoices(
    *,
    now: datetime | None = None,
    after: timedelta | None = None,
    within: timedelta | None = None,
    site: Site | None = None,
) -> QuerySet[Invoice]:
    """Pending invoices in the window whose back-off has passed, oldest first."""
    now = now or timezone.now()
    default_after, default_within = reconcile_window()
    after = default_after if after is None else after
    within = default_within if within is None else within
    due = Invoice.objects.filter(
        Q(next_check_at__isnull=True) | Q(next_check_at__lte=now),
        status=InvoiceStatus.PENDING,
        created_at__lte=now - after,
        created_at__gt=now - within,
    )
    if site is not None:
        due = due.filter(site=site)
    return due.order_by("created_at")


def claim(invoice: Invoice, now: datetime) -> bool:
    """Take ``invoice`` for this worker; False when another worker took it first (or it is no
    longer pending)."""
    unchanged = Q(next_check_at=invoice.next_check_at)
    if invoice.next_check_at is None:
        unchanged = Q(next_check_at__isnull=True)
    taken = Invoice.objects.filter(unchanged, pk=invoice.pk, status=InvoiceStatus.PENDING)
    if not taken.update(next_check_at=now + CLAIM):
        return False
    invoice.next_check_at = now + CLAIM
    return True


@dataclass
class Sweep:
    """What a sweep did: each check's result, by outcome."""

    results: list[CheckResult] = field(default_factory=list)
    #: Invoices another worker was already checking.
    skipped: int = 0

    @property
    def outcomes(self) -> Counter[CheckOutcome]:
        return Counter(result.outcome for result in self.results)

    @property
    def credited(self) -> int:
        return sum(result.credited for result in self.results)

    @property
    def unreachable(self) -> int:
        """Checks that got no answer: ROBOKASSA could not be reached or answered nonsense."""
        return sum(result.transient for result in self.results)

    @property
    def refused(self) -> int:
        """Checks ROBOKASSA refused for the shop's login or Password #2 (or that lacked them)."""
        return self.outcomes[CheckOutcome.REFUSED]

    @property
    def credited_ids(self) -> list[int]:
        """The InvIds this sweep recorded as paid."""
        return [result.invoice.pk for result in self.results if result.credited]

    @property
    def not_credited(self) -> list[CheckResult]:
        """Paid at ROBOKASSA, and not as the payment checked (another amount, a test payment
        in a live shop, an InvId recorded as another payment)."""
        return [result for result in self.results if result.outcome in NOT_CREDITED]

    def summary(self) -> dict[str, int]:
        """Counts as JSON (a task's return value)."""
        counts = {outcome.value: count for outcome, count in sorted(self.outcomes.items())}
        return {
            **counts,
            "checked": len(self.results),
            "credited": self.credited,
            "unreachable": self.unreachable,
            "refused": self.refused,
            "skipped": self.skipped,
        }


def reconcile(
    invoices: Iterable[Invoice],
    *,
    schedule: bool = True,
    transport: Transport | None = None,
    progress: Callable[[CheckResult], None] | None = None,
) -> Sweep:
    """Check each invoice once (claiming it first when ``schedule``: an automatic sweep, with
    back-off); returns what was found."""
    sweep = Sweep()
    transport = transport or Transport.background()
    for invoice in invoices:
        if schedule and not claim(invoice, timezone.now()):
            sweep.skipped += 1
            continue
        result = reconcile_invoice(invoice, transport=transport, schedule=schedule)
        sweep.results.append(result)
        if progress is not None:
            progress(result)
    return sweep


def sweep_due(*, limit: int | None = None, transport: Transport | None = None) -> Sweep:
    """Check the due invoices (at most ``limit``, default ``ROBOKASSA_RECONCILE_BATCH``)."""
    limit = limit or setting("ROBOKASSA_RECONCILE_BATCH")
    return reconcile(list(due_invoices()[:limit]), transport=transport)


__all__ = [
    "Sweep",
    "claim",
    "due_invoices",
    "parse_duration",
    "reconcile",
    "reconcile_window",
    "sweep_due",
]
