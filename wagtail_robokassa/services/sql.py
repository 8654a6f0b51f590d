"""Small helpers for the statements this package writes by hand."""

from __future__ import annotations

from typing import Any


def column_of(field: Any) -> str:
    """A concrete field's column (Django types it as optional: only reverse relations lack one)."""
    column = getattr(field, "column", None)
    if not isinstance(column, str):
        raise TypeError(f"{field!r} has no column")
    return column
