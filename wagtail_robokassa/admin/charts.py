"""A bar chart of daily takings as server-side SVG (Wagtail ships no chart library, and the chart
needs no JavaScript): a date axis, an amount axis with ticks in the shop's currency, the peak's
value written out, a legend when there is more than one series, and an accessible name and
description (the table under it holds every figure)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import formatting
from .stats import Day

WIDTH, HEIGHT = 480, 240
LEFT, RIGHT, TOP, BOTTOM = 64, 8, 20, 28
#: Days between two labels of the date axis (the first and the last day are always labelled).
DATE_STEP = 7
TICKS = 4


@dataclass(frozen=True)
class Series:
    """One kind of figure per day (``values`` in the order of the days)."""

    label: str
    values: Sequence[Decimal]
    css_class: str = "robokassa-chart-received"


def takings_chart(
    days: Sequence[Day],
    chart_id: str = "robokassa-chart",
    currency: str = "",
    series: Sequence[Series] | None = None,
) -> SafeString:
    """The chart of ``days`` (by default the amounts received, and refunded if any were)."""
    series = series or day_series(days)
    top = nice_ceiling(max((v for s in series for v in s.values), default=Decimal(0)))
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_width / max(len(days), 1)

    def y(value: Decimal) -> float:
        return TOP + plot_height - float(value / top) * plot_height

    parts = [_grid(top, currency, y), _dates(days, slot)]
    parts.append(_bars(days, series, slot, y, currency))
    parts.append(_peak(days, series[0], slot, y, currency))
    if len(series) > 1:
        parts.append(_legend(series))
    return format_html(
        '<svg class="robokassa-chart" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title"'
        ' aria-describedby="{}-desc" width="100%"><title id="{}-title">{}</title>'
        '<desc id="{}-desc">{}</desc>{}</svg>',
        WIDTH,
        HEIGHT,
        chart_id,
        chart_id,
        chart_id,
        _title(days),
        chart_id,
        _description(days, series[0], currency),
        SafeString("".join(parts)),
    )


def day_series(days: Sequence[Day]) -> list[Series]:
    """What was received each day, and what was refunded when anything was."""
    series = [Series(_("Received"), [day.total for day in days])]
    if any(day.refunded for day in days):
        refunded = [day.refunded for day in days]
        series.append(Series(_("Refunded"), refunded, "robokassa-chart-refunded"))
    return series


def nice_ceiling(value: Decimal) -> Decimal:
    """The smallest of 1, 2, 2.5 or 5 times a power of ten that is at least ``value`` (1 for 0),
    so that the axis ticks are round amounts."""
    if value <= 0:
        return Decimal(1)
    power = Decimal(10) ** math.floor(math.log10(value))
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if value <= step * power:
            return step * power
    return 10 * power  # pragma: no cover - the loop ends at ten times the power


def _tick_label(value: Decimal, currency: str) -> str:
    places = 0 if value == value.to_integral_value() else 2
    number = number_format(value, places, use_l10n=True, force_grouping=True)
    return f"{number}\N{NO-BREAK SPACE}{currency}" if currency else number


def _grid(top: Decimal, currency: str, y: Callable[[Decimal], float]) -> SafeString:
    rows = []
    for index in range(TICKS + 1):
        value = top * index / TICKS
        level = y(value)
        rows.append((LEFT, f"{level:.1f}", WIDTH - RIGHT, f"{level:.1f}", LEFT - 6,
                     f"{level + 4:.1f}", _tick_label(value, currency)))  # fmt: skip
    return format_html_join(
        "",
        '<line class="robokassa-chart-grid" x1="{}" y1="{}" x2="{}" y2="{}"/>'
        '<text class="robokassa-chart-tick" x="{}" y="{}" text-anchor="end">{}</text>',
        rows,
    )


def _dates(days: Sequence[Day], slot: float) -> SafeString:
    """Every ``DATE_STEP``-th day under its bar, and the last day, ending at the plot's edge."""
    last = len(days) - 1
    if last < 0:
        return SafeString("")
    labels = [
        (f"{LEFT + (i + 0.5) * slot:.1f}", "middle", date_format(days[i].day, "j M"))
        for i in range(0, last, DATE_STEP)
        if last - i >= DATE_STEP / 2
    ]
    labels.append((str(WIDTH - RIGHT), "end", date_format(days[last].day, "j M")))
    return format_html_join(
        "",
        '<text class="robokassa-chart-tick" x="{}" y="' + str(HEIGHT - 8) + '" text-anchor="{}">'
        "{}</text>",
        labels,
    )


def _bars(
    days: Sequence[Day],
    series: Sequence[Series],
    slot: float,
    y: Callable[[Decimal], float],
    currency: str,
) -> SafeString:
    width = slot * 0.8 / len(series)
    bars = []
    for number, one in enumerate(series):
        for index, (day, value) in enumerate(zip(days, one.values, strict=True)):
            top = y(value)
            bars.append((
                one.css_class,
                f"{LEFT + index * slot + slot * 0.1 + number * width:.1f}",
                f"{top:.1f}",
                f"{width:.1f}",
                f"{HEIGHT - BOTTOM - top:.1f}",
                _bar_label(day, one, value, currency),
            ))  # fmt: skip
    return format_html_join(
        "",
        '<rect class="{}" x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
        bars,
    )


def _bar_label(day: Day, series: Series, value: Decimal, currency: str) -> str:
    if series.css_class == "robokassa-chart-refunded":
        return _("%(day)s: %(total)s refunded") % {
            "day": date_format(day.day, "SHORT_DATE_FORMAT"),
            "total": formatting.amount(value, currency),
        }
    label = ngettext(
        "%(day)s: %(total)s from %(count)s notification",
        "%(day)s: %(total)s from %(count)s notifications",
        day.count,
    ) % {
        "day": date_format(day.day, "SHORT_DATE_FORMAT"),
        "total": formatting.amount(value, currency),
        "count": day.count,
    }
    return label if series.css_class == "robokassa-chart-received" else f"{series.label}: {label}"


def _peak_index(series: Series) -> int | None:
    values = list(series.values)
    if not values or max(values) <= 0:
        return None
    return values.index(max(values))


def _peak(
    days: Sequence[Day], series: Series, slot: float, y: Callable[[Decimal], float], currency: str
) -> SafeString:
    """The highest day's amount, written above its bar."""
    index = _peak_index(series)
    if index is None:
        return SafeString("")
    value = series.values[index]
    x = LEFT + (index + 0.5) * slot
    # Near an edge the text ends (or starts) at the plot's edge instead of running off it.
    anchor = "end" if x > WIDTH - RIGHT - 60 else "start" if x < LEFT + 60 else "middle"
    x = WIDTH - RIGHT if anchor == "end" else LEFT if anchor == "start" else x
    return format_html(
        '<text class="robokassa-chart-peak" x="{}" y="{}" text-anchor="{}">{}</text>',
        f"{x:.1f}",
        f"{y(value) - 6:.1f}",
        anchor,
        formatting.amount(value, currency),
    )


def _legend(series: Sequence[Series]) -> SafeString:
    return format_html_join(
        "",
        '<g class="robokassa-chart-legend"><rect class="{}" x="{}" y="4" width="10" height="10"/>'
        '<text x="{}" y="13">{}</text></g>',
        [(one.css_class, LEFT + i * 140, LEFT + i * 140 + 14, one.label)
         for i, one in enumerate(series)],
    )  # fmt: skip


def _title(days: Sequence[Day]) -> str:
    if not days:
        return _("Daily takings")
    return _("Daily takings, %(first)s to %(last)s") % {
        "first": date_format(days[0].day, "SHORT_DATE_FORMAT"),
        "last": date_format(days[-1].day, "SHORT_DATE_FORMAT"),
    }


def _description(days: Sequence[Day], series: Series, currency: str) -> str:
    index = _peak_index(series)
    if index is None:
        return _("Nothing was received in this period. The table below has every day.")
    return _("The highest day: %(total)s on %(day)s. The table below has every day.") % {
        "total": formatting.amount(series.values[index], currency),
        "day": date_format(days[index].day, "SHORT_DATE_FORMAT"),
    }
