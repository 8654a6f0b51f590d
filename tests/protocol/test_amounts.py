from decimal import Decimal

import pytest

from wagtail_robokassa.protocol import format_out_sum


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("100"), "100.00"),
        (Decimal("100.5"), "100.50"),
        (Decimal("0.01"), "0.01"),
        (Decimal("99999999.99"), "99999999.99"),
        (Decimal("1E+2"), "100.00"),
        (Decimal("10.000000"), "10.00"),
        (100, "100.00"),
        ("100", "100.00"),
        ("100.5", "100.50"),
        (" 7.25 ", "7.25"),
    ],
)
def test_format_out_sum(amount, expected):
    assert format_out_sum(amount) == expected


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (100.0, "float"),
        (0.1, "float"),
        (Decimal("NaN"), "finite"),
        (Decimal("Infinity"), "finite"),
        (Decimal("-Infinity"), "finite"),
        (Decimal("-1"), "negative"),
        (-5, "negative"),
        (Decimal(0), "greater than zero"),
        (Decimal("-0"), "greater than zero"),
        ("0.00", "greater than zero"),
        (Decimal("100000000"), "8 integer digits"),
        ("123456789.00", "8 integer digits"),
        (Decimal("1.005"), "2 decimal places"),
        ("1,50", "plain decimal"),
        ("1e3", "plain decimal"),
        ("", "plain decimal"),
        ("-1", "plain decimal"),
        ("NaN", "plain decimal"),
    ],
)
def test_format_out_sum_refuses(amount, message):
    with pytest.raises(ValueError, match=message):
        format_out_sum(amount)


@pytest.mark.parametrize("amount", [True, None, [1], b"100"])
def test_format_out_sum_refuses_other_types(amount):
    with pytest.raises(TypeError):
        format_out_sum(amount)
