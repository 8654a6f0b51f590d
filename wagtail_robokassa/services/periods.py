"""When a subscription's periods begin and end: calendar months (the 31st becomes the month's
last day), quarters, years, or a number of days. Period 1 is what the first payment covers
(the trial, when there is one); period ``n`` ≥ 2 is the ``n - 1``-th renewal."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta
from typing import Any

#: Months in each calendar period.
MONTHS = {"month": 1, "quarter": 3, "year": 12}


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` ``months`` calendar months later, on the same day or the month's last."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def add_periods(moment: datetime, period: str, days: int | None, count: int) -> datetime:
    """``count`` periods after ``moment``."""
    if period in MONTHS:
        return add_months(moment, MONTHS[period] * count)
    if not days or days < 1:
        raise ValueError("a period of days needs a number of days")
    return moment + timedelta(days=days * count)


def period_start(subscription: Any, number: int) -> datetime | None:
    """When period ``number`` of ``subscription`` begins (None before it started). Periods are
    counted from the start each time, so that a month never drifts (31 Jan → 28 Feb → 31 Mar)."""
    start = subscription.started_at
    if start is None or number < 1:
        return None
    if number == 1:
        return start
    period, days = subscription.period, subscription.period_days
    if subscription.trial_days:
        first_end = start + timedelta(days=subscription.trial_days)
        return add_periods(first_end, period, days, number - 2)
    return add_periods(start, period, days, number - 1)


def period_phrase(period: str, days: int | None) -> str:
    """How often a subscription is charged, for people: "every month", "every 10 days"."""
    from django.utils.translation import gettext, ngettext

    if period == "month":
        return gettext("every month")
    if period == "quarter":
        return gettext("every quarter")
    if period == "year":
        return gettext("every year")
    count = days or 0
    return ngettext("every %(count)s day", "every %(count)s days", count) % {"count": count}


def terms_text(
    *,
    amount: Any,
    currency: str,
    period: str,
    days: int | None = None,
    first_amount: Any = None,
    trial_days: int | None = None,
    max_payments: int | None = None,
) -> str:
    """What the buyer agrees to, in one sentence: what is charged today, then what and how
    often (as Russian consumer law expects the page to say before the first payment). It names
    no date: pages are cached, and the dates are in the buyer's first e-mail."""
    from django.utils.translation import gettext, ngettext

    from ..formatting import amount as money

    parts = {
        "first": money(first_amount or amount, currency),
        "amount": money(amount, currency),
        "every": period_phrase(period, days),
        "days": trial_days,
    }
    if trial_days:
        text = (
            ngettext(
                "%(first)s today for the first %(days)s day, then %(amount)s %(every)s",
                "%(first)s today for the first %(days)s days, then %(amount)s %(every)s",
                trial_days,
            )
            % parts
        )
    else:
        text = gettext("%(first)s today, then %(amount)s %(every)s") % parts
    if max_payments:
        text += ngettext(
            ", %(count)s payment in all", ", %(count)s payments in all", max_payments
        ) % {"count": max_payments}
    return text + gettext(". Cancel at any time with the link in every e-mail.")
