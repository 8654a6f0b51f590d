"""The takings chart: axes with dates and round amounts in the shop's currency, the peak written
out, a legend for more than one series, an accessible name apart from its description."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from wagtail_robokassa.admin.charts import Series, nice_ceiling, takings_chart
from wagtail_robokassa.admin.stats import Day

FIRST = date(2026, 3, 1)


def month(totals):
    return [
        Day(FIRST + timedelta(days=i), Decimal(total), 1 if total else 0)
        for i, total in enumerate(totals)
    ]


def texts(svg, css_class):
    return re.findall(rf'<text class="{css_class}"[^>]*>([^<]*)</text>', svg)


@pytest.mark.parametrize(
    ("value", "ceiling"),
    [("0", "1"), ("7", "10"), ("990", "1000"), ("1200", "2000"), ("2400", "2500"),
     ("0.3", "0.5"), ("10000", "10000")],
)  # fmt: skip
def test_the_amount_axis_ends_on_a_round_amount(value, ceiling):
    assert nice_ceiling(Decimal(value)) == Decimal(ceiling)


def test_both_axes_are_labelled_and_the_peak_is_written_out():
    days = month([0] * 12 + [990] + [150] * 17)
    with translation.override("en"):
        svg = str(takings_chart(days, "c", "₽"))
    ticks = texts(svg, "robokassa-chart-tick")
    assert ticks[:5] == [f"{n}\N{NO-BREAK SPACE}₽" for n in ("0", "250", "500", "750", "1,000")]
    assert ticks[5] == "1 Mar" and ticks[-1] == "30 Mar"  # noqa: PT018 - the ends of the axis
    assert texts(svg, "robokassa-chart-peak") == ["990.00\N{NO-BREAK SPACE}₽"]
    assert svg.count("<rect") == 30
    assert "robokassa-chart-legend" not in svg


def test_its_name_and_description_are_apart():
    with translation.override("en"):
        svg = str(takings_chart(month([0, 5, 0]), "c", "₽"))
    assert 'aria-labelledby="c-title"' in svg
    assert 'aria-describedby="c-desc"' in svg
    assert '<title id="c-title">Daily takings, 03/01/2026 to 03/03/2026</title>' in svg
    assert "The highest day: 5.00\N{NO-BREAK SPACE}₽ on 03/02/2026." in svg


def test_an_empty_period_says_so():
    with translation.override("en"):
        svg = str(takings_chart(month([0] * 7), "c", "₽"))
    assert "Nothing was received in this period." in svg
    assert texts(svg, "robokassa-chart-peak") == []


def test_russian_amounts_and_dates():
    with translation.override("ru"):
        svg = str(takings_chart(month([0] * 5 + [12500]), "c", "₽"))
    assert "12\N{NO-BREAK SPACE}500,00\N{NO-BREAK SPACE}₽" in svg
    assert "1 мар" in svg.lower()


def test_more_than_one_series_has_a_legend():
    days = month([100, 200, 300])
    series = [
        Series("Received", [d.total for d in days]),
        Series("Refunded", [Decimal(0), Decimal(50), Decimal(0)], "robokassa-chart-refunded"),
    ]
    svg = str(takings_chart(days, "c", "₽", series))
    assert svg.count('class="robokassa-chart-legend"') == 2
    assert ">Refunded</text>" in svg
    assert svg.count('<rect class="robokassa-chart-refunded"') == 4  # three bars and a swatch
