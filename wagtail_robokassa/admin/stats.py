"""Read-only figures for the dashboard and the overview, by local day.

Takings are what verified Result URL notifications confirm (the money ROBOKASSA received),
whether or not a notification belongs to one of our payments (invoices); live ones, or test ones
where asked (a shop in test mode sees its test takings, labelled). Every function is one query
(``daily_takings`` two: notifications and refunds), whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, CharField, Count, Q, Sum, Value, When
from django.db.models.functions import TruncDate
from django.utils import timezone

from ..models import Invoice, InvoiceStatus, Refund, RefundState, SuccessNotification

ZERO = Decimal("0")


@dataclass(frozen=True)
class Day:
    day: date
    total: Decimal
    count: int
    #: What finished refunds sent back that day (of live payments, or of test ones).
    refunded: Decimal = ZERO


@dataclass(frozen=True)
class Totals:
    count: int
    total: Decimal


def notifications(is_test: bool = False):
    """The notifications counted as takings: live ones, or test ones."""
    return SuccessNotification.objects.filter(is_test=is_test)


def today() -> date:
    return timezone.localdate()


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def daily_takings(first: date, last: date, is_test: bool = False) -> list[Day]:
    """One entry per day from ``first`` to ``last``, days without takings included."""
    rows = (
        notifications(is_test)
        .filter(created_at__gte=_start_of(first), created_at__lt=_start_of(last + timedelta(1)))
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(total=Sum("out_sum"), count=Count("id"))
    )
    found = {row["day"]: row for row in rows}
    refunded = daily_refunds(first, last, is_test)
    days = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(offset)
        row = found.get(day, {})
        days.append(
            Day(day, row.get("total") or ZERO, row.get("count", 0), refunded.get(day, ZERO))
        )
    return days


def daily_refunds(first: date, last: date, is_test: bool = False) -> dict[date, Decimal]:
    """The finished refunds' amounts by the day they settled."""
    rows = (
        Refund.objects.filter(
            state=RefundState.FINISHED,
            invoice__is_test=is_test,
            settled_at__gte=_start_of(first),
            settled_at__lt=_start_of(last + timedelta(1)),
        )
        .annotate(day=TruncDate("settled_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {row["day"]: row["total"] for row in rows}


def summary(is_test: bool = False) -> dict[str, Totals]:
    """Today's and the last seven days' notifications (count and sum), in one query."""
    week_start = _start_of(today() - timedelta(6))
    day_start = _start_of(today())
    figures = (
        notifications(is_test)
        .filter(created_at__gte=week_start)
        .aggregate(
            week_count=Count("id"),
            week_total=Sum("out_sum"),
            day_count=Count("id", filter=Q(created_at__gte=day_start)),
            day_total=Sum("out_sum", filter=Q(created_at__gte=day_start)),
        )
    )
    return {
        "today": Totals(figures["day_count"], figures["day_total"] or ZERO),
        "week": Totals(figures["week_count"], figures["week_total"] or ZERO),
    }


def held_now(is_test: bool = False) -> Totals:
    """Payments on hold now: money authorised, not takings until it is charged (one query)."""
    figures = Invoice.objects.filter(status=InvoiceStatus.HELD, is_test=is_test).aggregate(
        count=Count("id"), total=Sum("amount")
    )
    return Totals(figures["count"], figures["total"] or ZERO)


def latest_notifications(limit: int = 5, is_test: bool = False) -> list[SuccessNotification]:
    return list(notifications(is_test).select_related("invoice").order_by("-created_at")[:limit])


def invoice_totals_by_status(
    first: date, last: date, is_test: bool = False
) -> list[dict[str, Any]]:
    """Payments (invoices) created in the range, by status: count and sum."""
    return [
        dict(row)
        for row in Invoice.objects.filter(
            is_test=is_test,
            created_at__gte=_start_of(first),
            created_at__lt=_start_of(last + timedelta(1)),
        )
        .values("status")
        .annotate(count=Count("id"), total=Sum("amount"))
        .order_by("status")
    ]


#: Where a payment came from, as the Overview and the payments' filter tell it.
SOURCES = {
    "subscription": Q(subscription__isnull=False),
    "link": Q(payment_link__isnull=False),
    "block": Q(payment_link__isnull=True) & ~Q(block_id=""),
}


def source_of() -> Case:
    """``subscription``, ``link``, ``block`` or ``code`` (RobokassaForm and the shop's own
    code), as a column."""
    return Case(
        *(When(condition, then=Value(name)) for name, condition in SOURCES.items()),
        default=Value("code"),
        output_field=CharField(),
    )


def invoice_totals_by_source(
    first: date, last: date, is_test: bool = False
) -> list[dict[str, Any]]:
    """Payments created in the range and paid, by where they came from: count and sum."""
    return [
        dict(row)
        for row in Invoice.objects.filter(
            is_test=is_test,
            status=InvoiceStatus.PAID,
            created_at__gte=_start_of(first),
            created_at__lt=_start_of(last + timedelta(1)),
        )
        .annotate(source=source_of())
        .values("source")
        .annotate(count=Count("id"), total=Sum("amount"))
        .order_by("source")
    ]
