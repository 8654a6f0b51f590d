"""A bar chart of daily takings as server-side SVG (Wagtail ships no chart library)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.utils.formats import date_format, number_format
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .stats import Day

WIDTH, HEIGHT, PADDING = 720, 200, 24


def takings_chart(days: Sequence[Day], chart_id: str = "robokassa-chart") -> SafeString:
    """An accessible SVG: a title and description, one labelled bar per day."""
    top = max((day.total for day in days), default=Decimal(0)) or Decimal(1)
    slot = (WIDTH - 2 * PADDING) / max(len(days), 1)
    bars = []
    for index, day in enumerate(days):
        height = float(day.total / top) * (HEIGHT - 2 * PADDING)
        x = PADDING + index * slot
        label = ngettext(
            "%(day)s: %(total)s from %(count)s notification",
            "%(day)s: %(total)s from %(count)s notifications",
            day.count,
        ) % {
            "day": date_format(day.day, "SHORT_DATE_FORMAT"),
            "total": number_format(day.total, 2, force_grouping=True),
            "count": day.count,
        }
        bars.append(
            (
                f"{x + slot * 0.1:.1f}",
                f"{HEIGHT - PADDING - height:.1f}",
                f"{slot * 0.8:.1f}",
                f"{height:.1f}",
                label,
            )
        )
    title = _("Daily takings, %(first)s to %(last)s") % {
        "first": date_format(days[0].day, "SHORT_DATE_FORMAT") if days else "",
        "last": date_format(days[-1].day, "SHORT_DATE_FORMAT") if days else "",
    }
    return format_html(
        '<svg class="robokassa-chart" viewBox="0 0 {} {}" role="img" '
        'aria-labelledby="{}-title {}-desc" width="100%" preserveAspectRatio="none">'
        '<title id="{}-title">{}</title><desc id="{}-desc">{}</desc>'
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="currentColor" stroke-opacity="0.3"/>'
        "{}</svg>",
        WIDTH,
        HEIGHT,
        chart_id,
        chart_id,
        chart_id,
        title,
        chart_id,
        _("The same figures are in the table below."),
        PADDING,
        HEIGHT - PADDING,
        WIDTH - PADDING,
        HEIGHT - PADDING,
        format_html_join(
            "",
            '<rect x="{}" y="{}" width="{}" height="{}" fill="currentColor" '
            'fill-opacity="0.75"><title>{}</title></rect>',
            bars,
        ),
    )
