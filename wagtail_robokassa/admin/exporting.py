"""Streaming exports: CSV and JSON are written row by row from ``values_list().iterator()``, XLSX
with openpyxl's write-only mode, so memory does not grow with the number of rows."""

from __future__ import annotations

import csv
import json
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils.encoding import force_str
from import_export.resources import ModelResource

from .resources import NativeWidget

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}
CHUNK_SIZE = 2000
#: A spreadsheet would run a cell starting with these as a formula (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Make a text cell inert for spreadsheets by prefixing a quote where it could be a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class Exporter:
    """The rows of a resource's fields for a queryset, as native Python values."""

    def __init__(self, resource: ModelResource) -> None:
        fields = resource.get_export_fields()
        self.names = [resource.get_field_name(field) for field in fields]
        self.headings = [force_str(field.column_name) for field in fields]
        self.columns = [field.attribute for field in fields]
        self.renders = [
            None if isinstance(field.widget, NativeWidget) else _renderer(field.widget)
            for field in fields
        ]

    def values(self, queryset: QuerySet) -> Iterator[tuple]:
        return queryset.values_list(*self.columns).iterator(chunk_size=CHUNK_SIZE)

    def rows(self, queryset: QuerySet) -> Iterator[list[Any]]:
        renders = self.renders
        for values in self.values(queryset):
            yield [
                value if render is None else render(value)
                for render, value in zip(renders, values, strict=True)
            ]

    def text_cells(self) -> list[Any]:
        """One function per column turning a database value into its CSV text."""
        return [
            _text_cell if render is None else _after(render, _text_cell) for render in self.renders
        ]


def _renderer(widget: Any) -> Any:
    return widget.renderer() if hasattr(widget, "renderer") else widget.render


def _after(first: Any, then: Any) -> Any:
    return lambda value: then(first(value))


def _text_cell(value: Any) -> str:
    if value.__class__ is str:
        return "'" + value if value.startswith(FORMULA_STARTS) else value
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralise(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict | list):
        return neutralise(json.dumps(value, ensure_ascii=False, sort_keys=True))
    return str(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(exporter: Exporter, queryset: QuerySet, rows_per_chunk: int = 500) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(exporter.headings)  # the BOM lets Excel read UTF-8
    cells = exporter.text_cells()
    lines: list[str] = []
    for values in exporter.values(queryset):
        lines.append(writer.writerow([cell(value) for cell, value in zip(cells, values)]))  # noqa: B905
        if len(lines) >= rows_per_chunk:
            yield "".join(lines)
            lines = []
    if lines:
        yield "".join(lines)


def _json_value(value: Any) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return json.dumps(value.isoformat())
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def json_chunks(exporter: Exporter, queryset: QuerySet) -> Iterator[str]:
    keys = [json.dumps(name) for name in exporter.names]
    separator = "[\n"
    for row in exporter.rows(queryset):
        body = ", ".join(
            f"{key}: {_json_value(value)}" for key, value in zip(keys, row, strict=True)
        )
        yield separator + "{" + body + "}"
        separator = ",\n"
    yield "[]\n" if separator == "[\n" else "\n]\n"


def _xlsx_cell(value: Any) -> Any:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str):
        return neutralise(ILLEGAL_CHARACTERS_RE.sub("", value))
    return value


def xlsx_file(exporter: Exporter, queryset: QuerySet, title: str) -> Any:
    """An XLSX workbook written row by row to a temporary file (returned open, at its start)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(exporter.headings)
    for row in exporter.rows(queryset):
        sheet.append([_xlsx_cell(value) for value in row])
    handle = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response that streams it
    workbook.save(handle)
    handle.seek(0)
    return handle


def export_response(
    resource: ModelResource, queryset: QuerySet, file_format: str, filename: str, title: str
) -> StreamingHttpResponse | FileResponse:
    exporter = Exporter(resource)
    name = f"{filename}.{file_format}"
    if file_format == "xlsx":
        return FileResponse(
            xlsx_file(exporter, queryset, title),
            as_attachment=True,
            filename=name,
            content_type=FORMATS["xlsx"],
        )
    chunks: Iterable[str] = (
        csv_lines(exporter, queryset) if file_format == "csv" else json_chunks(exporter, queryset)
    )
    response = StreamingHttpResponse(chunks, content_type=FORMATS[file_format])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
